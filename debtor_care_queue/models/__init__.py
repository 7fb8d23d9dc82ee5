from . import debtor_care_run
