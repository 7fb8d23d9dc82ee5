from . import debtor_care_policy
from . import debtor_care_case
from . import debtor_care_dunning
from . import debtor_care_run
from . import account_move
from . import res_company
from . import res_partner
from . import res_config_settings
