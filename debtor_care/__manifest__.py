{
    "name": "Debtor Care - Empathetic Receivables Management",
    "summary": "Dunning as a dialogue: care cases, personal calls, instalment plans, "
    "a customer portal page, German law defaults",
    "version": "18.0.1.4.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/debtor-care/debtor_care",
    "author": "debtor_care developers",
    "maintainers": ["debtor-care"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "application": False,
    "installable": True,
    "depends": [
        "account",
        "account_payment",
        "account_qr_code_sepa",
        "portal",
        "mail",
        "resource",
    ],
    "external_dependencies": {"python": ["num2words"]},
    "data": [
        # security
        "security/debtor_care_security.xml",
        "security/ir.model.access.csv",
        # data
        "data/debtor_care_data.xml",
        "data/debtor_care_policy_data.xml",
        "data/debtor_care_base_rate_data.xml",
        "data/mail_template_data.xml",
        "data/debtor_care_call_script.xml",
        "data/debtor_care_faq_data.xml",
        # reports
        "report/debtor_care_letter_report.xml",
        "report/debtor_care_agreement_report.xml",
        "report/debtor_care_statement_report.xml",
        "report/debtor_care_handover_report.xml",
        # views
        "views/debtor_care_case_views.xml",
        "views/debtor_care_dunning_views.xml",
        "views/debtor_care_run_views.xml",
        "views/debtor_care_call_views.xml",
        "views/debtor_care_agreement_views.xml",
        "views/debtor_care_policy_views.xml",
        "views/debtor_care_experiment_views.xml",
        "views/account_move_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/debtor_care_base_rate_views.xml",
        "views/portal_templates.xml",
        "report/debtor_care_report_views.xml",
        "report/debtor_care_case_outcome_views.xml",
        "report/debtor_care_call_report_views.xml",
        "views/debtor_care_menus.xml",
        # wizards
        "wizard/debtor_care_wizard_views.xml",
        "wizard/debtor_care_settings_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "debtor_care/static/src/js/call_task_done.js",
            "debtor_care/static/src/js/daily_run_list.js",
        ],
        "web.assets_frontend": [
            "debtor_care/static/src/scss/portal.scss",
            "debtor_care/static/src/js/portal_plan_preview.js",
        ],
        "portal.assets_chatter": [
            "debtor_care/static/src/chatter/portal_chatter_a11y.xml",
        ],
        "portal.assets_chatter_style": [
            "debtor_care/static/src/chatter/portal_chatter_a11y.scss",
        ],
        "web.assets_tests": [
            "debtor_care/static/src/js/tours/*.js",
        ],
    },
    "demo": [
        "demo/debtor_care_demo.xml",
    ],
}
