from . import debtor_care_aging_report
from . import debtor_care_step_report
from . import debtor_care_due_date
from . import debtor_care_case_outcome
from . import debtor_care_call_report
from . import debtor_care_dashboard
