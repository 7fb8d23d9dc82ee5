from . import test_install
from . import test_ui
from . import test_debtor_care_case
from . import test_debtor_care_empathy
from . import test_debtor_care_call
from . import test_debtor_care_agreement
from . import test_portal
from . import test_debtor_care_reports
