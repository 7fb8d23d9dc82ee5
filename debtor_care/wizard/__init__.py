from . import debtor_care_pause_wizard
from . import debtor_care_dispute_wizard
from . import debtor_care_call_wizard
from . import debtor_care_accept_wizard
from . import debtor_care_settings
