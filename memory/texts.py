"""Memory's Ukrainian texts (the /forget dialogue, the labels of the prompt's memory block) from `texts.uk.yaml`.

Every key the code uses is a member of `Text`; loading fails on a missing or empty one instead of falling back.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path

from config.templates import Templates, read_templates


class Text(StrEnum):
    FORGET_ASK = "forget_ask"
    FORGET_YES_BUTTON = "forget_yes_button"
    FORGET_NO_BUTTON = "forget_no_button"
    FORGET_DONE = "forget_done"
    FORGET_CANCELLED = "forget_cancelled"

    MEMORY_HEADER = "memory_header"
    CHILDREN_HEADER = "children_header"
    CHILD_UNNAMED = "child_unnamed"
    CHILD_AGE = "child_age"
    CHILD_BIRTH_YEAR = "child_birth_year"
    CHILD_HEIGHT_CM = "child_height_cm"
    CHILD_GENDER = "child_gender"
    CHILD_BODY_TYPE = "child_body_type"
    CHILD_SIZE = "child_size"
    STYLE_HEADER = "style_header"
    SLOT_FAVORITE_COLORS = "slot_favorite_colors"
    SLOT_AVOIDED_COLORS = "slot_avoided_colors"
    SLOT_FAVORITE_MODELS = "slot_favorite_models"
    SLOT_FABRICS = "slot_fabrics"
    SLOT_AVOIDED_FABRICS = "slot_avoided_fabrics"
    DELIVERY_HEADER = "delivery_header"
    SLOT_CITY = "slot_city"
    SLOT_BRANCH = "slot_branch"
    SLOT_DELIVERY_METHOD = "slot_delivery_method"
    SLOT_PAYMENT_PREFERENCE = "slot_payment_preference"
    COMMERCE_ORDERS = "commerce_orders"
    SUMMARY_HEADER = "summary_header"
    FACTS_HEADER = "facts_header"
    CONSTRAINT_FACT = "constraint_fact"


MemoryTexts = Templates[Text]


def load_texts(path: Path | None = None) -> MemoryTexts:
    return MemoryTexts(read_templates(path, resources.files("memory") / "texts.uk.yaml", Text))
