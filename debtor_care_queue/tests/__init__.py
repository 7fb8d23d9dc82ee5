from . import test_debtor_care_queue
