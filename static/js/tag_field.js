'use strict';
// The story form's tag field (articles/tag_field.py): Django's vendored select2,
// searching the tag admin as Django's autocomplete.js does, taking typed names
// (posted as "name:<name>") and keeping the tags in the order they were given.
{
    const $ = django.jQuery;
    const NAME_PREFIX = 'name:';

    $.fn.tagField = function() {
        $.each(this, function(i, element) {
            const $element = $(element);
            $element.select2({
                tags: element.dataset.create === 'true',
                tokenSeparators: [','],
                createTag: (params) => {
                    const name = params.term.trim();
                    return name ? {id: NAME_PREFIX + name, text: name} : null;
                },
                // Existing tags first: Enter picks "région de Koursk" after typing "kour".
                insertTag: (data, tag) => data.push(tag),
                ajax: {
                    data: (params) => ({
                        term: params.term,
                        page: params.page,
                        app_label: element.dataset.appLabel,
                        model_name: element.dataset.modelName,
                        field_name: element.dataset.fieldName
                    })
                }
            });
            // The form posts the options in document order: move the one chosen last
            // to the end, even when it was chosen, removed and chosen again.
            $element.on('select2:select', (event) => {
                const id = String(event.params.data.id);
                const option = $element.find('option').filter((j, o) => o.value === id);
                option.detach().appendTo($element);
                $element.trigger('change');
            });
        });
        return this;
    };

    $(function() {
        $('select.admin-tags').tagField();
    });
}
