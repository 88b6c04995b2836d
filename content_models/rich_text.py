"""Rich text in the admin forms: an editor value the converter cannot read is a plain form error, not a 500,
and stored HTML the editor cannot parse (unbalanced tags from an old system or a raw write) is repaired for display.
"""

from __future__ import annotations

import json

import nh3
from django import forms
from wagtail.fields import RichTextField

UNREADABLE_MESSAGE = "正文的格式无法识别，没有保存。请在编辑框里重新输入或粘贴正文，然后再保存。"

# What Wagtail's stored rich text (its "database format") may hold: links to pages and documents by id,
# images as <embed>. Repairing keeps these; anything else was never editable anyway.
STORED_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "b", "i", "strong", "em", "ol", "ul", "li", "a", "br", "hr", "blockquote", "embed"}
STORED_ATTRIBUTES = {"a": {"href", "linktype", "id"}, "embed": {"embedtype", "id", "format", "alt"}}

# Wagtail's converters fail with any of these on input they do not expect (JSON errors are ValueErrors,
# unbalanced tags trip an assert in its HTML parser).
CONVERSION_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, AssertionError)


def rich_text_fields(form: forms.ModelForm) -> list[str]:
    """Names of the form's fields that edit a RichTextField of its model."""
    model_fields = {field.name for field in form._meta.model._meta.get_fields() if isinstance(field, RichTextField)}
    return [name for name in form.fields if name in model_fields]


def balanced_html(html: str) -> str:
    """The stored HTML re-parsed into well-formed HTML, keeping Wagtail's page, document and image references."""
    return nh3.clean(html, tags=STORED_TAGS, attributes=STORED_ATTRIBUTES, link_rel=None, url_schemes={"http", "https", "mailto"})


def plain_text_editor_value(text: str) -> str:
    """An editor value (Draft.js content) holding `text` as one paragraph, so a refused input is shown back as typed."""
    block = {"key": "input", "type": "unstyled", "depth": 0, "text": text, "inlineStyleRanges": [], "entityRanges": []}
    return json.dumps({"blocks": [block], "entityMap": {}}, ensure_ascii=False)


def check_rich_text(form: forms.ModelForm) -> list[str]:
    """Run at the end of a page form's __init__; returns the fields whose posted value could not be read.

    Such a value is swapped for its plain text (the form can be shown again) and clean() reports it with
    UNREADABLE_MESSAGE. A stored value the editor cannot show is replaced, for display, by balanced_html().
    """
    unreadable = []
    for name in rich_text_fields(form):
        widget = form.fields[name].widget
        stored = form.initial.get(name)
        if stored:
            try:
                widget.format_value(stored)
            except CONVERSION_ERRORS:
                form.initial[name] = balanced_html(stored)
        if not form.is_bound:
            continue
        key = form.add_prefix(name)
        try:
            widget.value_from_datadict(form.data, form.files, key)
        except CONVERSION_ERRORS:
            form.data = form.data.copy()
            form.data[key] = plain_text_editor_value(str(form.data.get(key, "")))
            unreadable.append(name)
    return unreadable
