from . import debtor_care_case
