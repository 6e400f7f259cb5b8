// Asks before leaving an admin change form whose fields were changed but not saved.
//
// The form is compared with what it held once the page (and the editors that fill
// hidden textareas, such as the prose editor) had loaded. Submitting the form does not
// ask. A form shown again with errors holds what was typed and not saved: it asks too.
"use strict";
(function () {
    function changeForm() {
        return document.querySelector("#content-main form[method=post][id$='_form']");
    }

    function serialize(form) {
        const pairs = [];
        for (const [name, value] of new FormData(form)) {
            if (name !== "csrfmiddlewaretoken" && typeof value === "string") {
                pairs.push([name, value]);
            }
        }
        return JSON.stringify(pairs);
    }

    function watch(form) {
        const saved = serialize(form);
        const shownWithErrors = document.querySelector(".errornote") !== null;
        let submitting = false;

        const unsaved = () => shownWithErrors || serialize(form) !== saved;
        const mark = () => {
            form.dataset.unsaved = String(unsaved());
        };
        // The prose editor writes into its hidden textarea and sends "input" from it;
        // select2 and the date pickers send "change". Both bubble up to the form.
        form.addEventListener("input", mark);
        form.addEventListener("change", mark);
        form.addEventListener("submit", () => {
            submitting = true;
        });
        window.addEventListener("beforeunload", (event) => {
            if (!submitting && unsaved()) {
                event.preventDefault();
                // Older browsers ask only when returnValue is set.
                event.returnValue = "";
            }
        });
        mark();
    }

    window.addEventListener("load", () => {
        const form = changeForm();
        if (form) {
            watch(form);
        }
    });
})();
