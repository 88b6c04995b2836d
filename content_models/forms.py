"""The admin form of catalogue items: tidy identifiers before validation, explain duplicate inline rows and unreadable rich text plainly."""

from wagtail.admin.forms import WagtailAdminPageForm

from .rich_text import UNREADABLE_MESSAGE, check_rich_text


class LibraryItemForm(WagtailAdminPageForm):
    """Reads two optional attributes of the page model.

    `input_normalizers`: field → function applied to the raw input (so 'ＩＳＢＮ 978-7-…' passes max_length).
    `unique_child_rows`: inline relation → (key fields, message template) for rows that must not repeat.
    """

    def __init__(self, data=None, *args, **kwargs):
        normalizers = getattr(self._meta.model, "input_normalizers", {})
        if data is not None and normalizers:
            data = data.copy()
            for field, normalize in normalizers.items():
                if data.get(field):
                    data[field] = normalize(data[field])
        super().__init__(data, *args, **kwargs)
        self.unreadable_rich_text = check_rich_text(self)

    def clean(self):
        cleaned = super().clean()
        for name in self.unreadable_rich_text:
            self.add_error(name, UNREADABLE_MESSAGE)
        for relation, (fields, message) in getattr(self._meta.model, "unique_child_rows", {}).items():
            seen = set()
            for form in self.formsets[relation].forms:
                # Raw values: the formset's own unique check has already dropped duplicates from cleaned_data.
                row = {f: str(form[f].value() or "").strip() for f in fields}
                if not all(row.values()) or ("DELETE" in form.fields and form["DELETE"].value()):
                    continue
                key = tuple(row.values())
                if key in seen:
                    form.add_error(fields[-1], message.format(**row))
                    self.add_error(None, message.format(**row))
                seen.add(key)
        return cleaned
