from . import debtor_care_demo
