import { registry } from "@web/core/registry";

/** From the home screen to the Payment Care menu, opened (the back-office tours' start). */
function openPaymentCareMenu() {
    return [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open Invoicing",
            trigger: ".o_app[data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        {
            content: "Open the Payment Care menu",
            trigger: ".o_menu_sections [data-menu-xmlid='debtor_care.menu_debtor_care_root']",
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("debtor_care_open_payment_care", {
    url: "/odoo",
    steps: () => [
        ...openPaymentCareMenu(),
        {
            content: "Open Care Cases",
            trigger: ".dropdown-item[data-menu-xmlid='debtor_care.debtor_care_case_menu']",
            run: "click",
        },
        {
            content: "The care cases cockpit is shown",
            trigger: ".o_breadcrumb:contains('Care Cases')",
        },
        {
            content: "Open the Payment Care menu again",
            trigger: ".o_menu_sections [data-menu-xmlid='debtor_care.menu_debtor_care_root']",
            run: "click",
        },
        {
            content: "Open the key figures",
            trigger: ".dropdown-item[data-menu-xmlid='debtor_care.debtor_care_dashboard_menu']",
            run: "click",
        },
        {
            content: "The key figures are shown as a saved record, not a new one",
            trigger: ".o_form_view .o_field_widget[name='calls_reached']",
            run() {
                if (document.querySelector(".o_breadcrumb")?.textContent.includes("New")) {
                    throw new Error("the key figures open as an unsaved new record");
                }
            },
        },
        {
            content: "Drill down to the overdue amounts by age",
            trigger: "button[name='action_open_aging']",
            run: "click",
        },
        {
            content: "The age report opens as a pivot table",
            trigger: ".o_pivot_view",
        },
    ],
});

function inDays(days) {
    const date = new Date();
    date.setDate(date.getDate() + days);
    return date.toISOString().slice(0, 10);
}

registry.category("web_tour.tours").add("debtor_care_portal_call", {
    steps: () => [
        {
            content: "The open invoices are listed",
            trigger: ".o_debtor_care_invoices .o_debtor_care_invoice",
        },
        {
            content: "Phone number",
            trigger: ".o_debtor_care_form_call input[name='phone']",
            run: "edit +49 30 7654321",
        },
        {
            content: "Day of the call",
            trigger: ".o_debtor_care_form_call input[name='day']",
            run() {
                // a date input takes ISO values; set it directly
                this.anchor.value = inDays(3);
            },
        },
        {
            content: "Ask for the call",
            trigger: ".o_debtor_care_form_call button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The page thanks the customer and says what happens now",
            trigger: ".o_debtor_care_done",
        },
    ],
});

registry.category("web_tour.tours").add("debtor_care_portal_plan", {
    steps: () => [
        {
            content: "The reminder link opens the open invoices",
            trigger: ".o_debtor_care_invoices .o_debtor_care_invoice",
        },
        {
            content: "Too many instalments",
            trigger: ".o_debtor_care_form_plan input[name='count']",
            run: "edit 500",
        },
        {
            content: "The preview explains the limit at once",
            trigger: ".o_debtor_care_plan_error",
        },
        {
            content: "Three instalments",
            trigger: ".o_debtor_care_form_plan input[name='count']",
            run: "edit 3",
        },
        {
            content: "The preview shows the three instalments",
            trigger: ".o_debtor_care_plan_lines tr:nth-child(3)",
        },
        {
            content: "Propose the plan",
            trigger: ".o_debtor_care_form_plan button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Open the proposed plan",
            trigger: ".o_debtor_care_done ~ .card a:contains('Open the plan')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Type the full name",
            trigger: ".o_debtor_care_accept input[name='name']",
            run: "edit Clara Consumer",
        },
        {
            content: "Confirm",
            trigger: ".o_debtor_care_accept input[name='confirm']",
            run: "check",
        },
        {
            content: "Accept the plan",
            trigger: ".o_debtor_care_accept button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The plan is accepted",
            trigger: ".o_debtor_care_accepted",
        },
        {
            content: "Download the PDF",
            trigger: "a.o_debtor_care_pdf",
            async run() {
                const response = await fetch(this.anchor.href);
                const type = response.headers.get("Content-Type") || "";
                if (!response.ok || !type.includes("pdf")) {
                    throw new Error(`PDF download failed: ${response.status} ${type}`);
                }
            },
        },
    ],
});

registry.category("web_tour.tours").add("debtor_care_rep_sees_call_task", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the activities",
            trigger: ".o_menu_systray i[aria-label='Activities']",
            run: "click",
        },
        {
            content: "Future payment care activities",
            trigger:
                ".o-mail-ActivityGroup[data-model_name='debtor.care.case'] span:contains('Future')",
            run: "click",
        },
        {
            content: "Open the customer's case",
            trigger: ".o_data_row td:contains('Clara Consumer')",
            run: "click",
        },
        {
            content: "The call task is on the case, with the customer's time window",
            trigger: ".o-mail-Activity:contains('Payment care call')",
        },
        {
            content: "Mark the call as done",
            trigger: ".o-mail-Activity:contains('Payment care call') .o-mail-Activity-markDone",
            run: "click",
        },
        {
            content: "The call form asks how it went, with the script inside",
            trigger: ".modal .o_field_widget[name='result']",
        },
        {
            content: "The script is fresh: it names what is open today",
            trigger: ".modal .o_debtor_care_call_script:contains('What is open')",
        },
        {
            content: "Log the call: the customer was not reached",
            trigger: ".modal .o_field_widget[name='result'] input[data-value='no_answer']",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The call is logged: the form closes (the next attempt is planned)",
            trigger: "body:not(:has(.modal))",
        },
    ],
});

/** Throws when anything on the care page is wider than the screen. */
function assertFitsTheScreen(what) {
    const width = document.documentElement.clientWidth;
    const tooWide = [...document.querySelectorAll("#wrapwrap *")].filter((el) => {
        const rect = el.getBoundingClientRect();
        return rect.width > 0 && rect.right > width + 1 && el.closest("details:not([open])") === null;
    });
    if (document.documentElement.scrollWidth > width || tooWide.length) {
        const names = tooWide.slice(0, 5).map((el) => `${el.tagName}.${el.className}`);
        throw new Error(`${what}: wider than the ${width}px screen: ${names.join(", ")}`);
    }
}

function assertInView(el, what) {
    const rect = el.getBoundingClientRect();
    const width = document.documentElement.clientWidth;
    if (!rect.width || !rect.height || rect.left < 0 || rect.right > width) {
        throw new Error(`${what} is cut off: ${rect.left}-${rect.right} of ${width}px`);
    }
}

registry.category("web_tour.tours").add("debtor_care_portal_fits", {
    steps: () => [
        {
            content: "The total, the account and the pay buttons fit the screen",
            trigger: ".o_debtor_care_invoices .o_debtor_care_pay",
            run() {
                assertFitsTheScreen("the care page");
                assertInView(this.anchor, "the pay button");
                assertInView(document.querySelector(".o_debtor_care_summary .o_debtor_care_pay_iban"), "the IBAN");
            },
        },
        {
            content: "Open the transfer details of the first invoice",
            trigger: ".o_debtor_care_invoice_transfer summary",
            run: "click",
        },
        {
            content: "The invoice's transfer details and GiroCode fit too",
            trigger: ".o_debtor_care_invoice_transfer[open] .o_debtor_care_pay_qr img",
            run() {
                assertFitsTheScreen("the invoice's transfer details");
                assertInView(this.anchor, "the GiroCode");
            },
        },
        {
            content: "The conversation has loaded and fits",
            trigger: "#chatterRoot:shadow .o-mail-Composer-input",
            run() {
                assertFitsTheScreen("the conversation");
            },
        },
    ],
});

registry.category("web_tour.tours").add("debtor_care_portal_chatter", {
    steps: () => [
        {
            content: "Write to us",
            trigger: "#chatterRoot:shadow .o-mail-Composer-input",
            run: "edit Can I pay next Friday?",
        },
        {
            content: "Send",
            trigger: "#chatterRoot:shadow .o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The message is on the page",
            trigger: "#chatterRoot:shadow .o-mail-Message:contains('Can I pay next Friday?')",
        },
    ],
});

registry.category("web_tour.tours").add("debtor_care_portal_chatter_reply", {
    steps: () => [
        {
            content: "Our answer is on the page, our internal notes are not",
            trigger: "#chatterRoot:shadow .o-mail-Message:contains('Yes, Friday is fine.')",
            run() {
                const text = document.querySelector("#chatterRoot").shadowRoot.textContent;
                if (text.includes("INTERNAL-NOTE")) {
                    throw new Error("an internal note reached the customer's page");
                }
            },
        },
    ],
});

registry.category("web_tour.tours").add("debtor_care_manager_starts_run", {
    url: "/odoo",
    steps: () => [
        ...openPaymentCareMenu(),
        {
            content: "Open the daily runs",
            trigger: ".dropdown-item[data-menu-xmlid='debtor_care.debtor_care_run_menu']",
            run: "click",
        },
        {
            content: "Yesterday's run shows its progress",
            trigger: ".o_list_view .o_data_row .o_field_progressbar",
        },
        {
            content: "Start tonight's run now",
            trigger: ".o_list_view button[name='action_start_daily_run']",
            run: "click",
        },
        {
            content: "The manager hears that the scheduler takes it",
            trigger: ".o_notification:contains('Daily run started')",
        },
        {
            content: "Today's run is listed as running",
            trigger: ".o_data_row .badge:contains('Running')",
        },
    ],
});
