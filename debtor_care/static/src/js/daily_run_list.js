/** @odoo-module **/

import { onWillUnmount } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { listView } from "@web/views/list/list_view";
import { ListController } from "@web/views/list/list_controller";

/**
 * The daily runs list follows a run that its viewer started: the server sends a
 * "debtor_care.run_progress" bus message after each batch, and the list reloads to
 * show the progress bar and the counts move.
 */
export class DailyRunListController extends ListController {
    setup() {
        super.setup();
        const busService = useService("bus_service");
        const reload = () => this.model.load();
        busService.subscribe("debtor_care.run_progress", reload);
        onWillUnmount(() => busService.unsubscribe("debtor_care.run_progress", reload));
    }
}

registry.category("views").add("debtor_care_run_list", {
    ...listView,
    Controller: DailyRunListController,
});
