/** @odoo-module **/

import { patch } from "@web/core/utils/patch";
import { Activity } from "@mail/core/web/activity";
import { ActivityListPopoverItem } from "@mail/core/web/activity_list_popover_item";

/**
 * "Mark Done" on a payment care call asks how the call went: it opens the Log Call form
 * (result, outcome, the script) instead of closing the task silently. The server still
 * records an "unknown" call for any other way of closing it (see mail_activity.py).
 */
function isCareCall(activity) {
    return activity.res_model === "debtor.care.case" && activity.activity_category === "phonecall";
}

async function openCallForm(component, onDone) {
    const { activity } = component.props;
    const action = await component.env.services.orm.call(
        "debtor.care.case",
        "action_log_call",
        [[activity.res_id]],
        { activity_id: activity.id }
    );
    await component.env.services.action.doAction(action, { onClose: onDone });
}

patch(Activity.prototype, {
    async onClickMarkAsDone(ev) {
        if (!isCareCall(this.props.activity)) {
            return super.onClickMarkAsDone(ev);
        }
        const thread = this.thread;
        await openCallForm(this, async () => {
            this.props.onActivityChanged(thread);
            await thread.fetchNewMessages();
        });
    },
});

patch(ActivityListPopoverItem.prototype, {
    onClickMarkAsDone() {
        if (!isCareCall(this.props.activity)) {
            return super.onClickMarkAsDone();
        }
        return openCallForm(this, () => this.props.onActivityChanged?.());
    },
});
