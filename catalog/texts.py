"""The catalog's Ukrainian texts (reasons the bot can say, import reports), kept in `texts.uk.yaml` for the shop.

Every key the code uses is a member of `Text`; loading fails on a missing or empty one instead of falling back.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from config.templates import Templates, read_templates


class Text(StrEnum):
    SIZE_BELOW_SMALLEST = "size_below_smallest"
    SIZE_ABOVE_LARGEST = "size_above_largest"
    SIZE_NOT_AVAILABLE = "size_not_available"
    ASK_HEIGHT_FOR_AGE = "ask_height_for_age"
    YEARS_ONE = "years_one"
    YEARS_FEW = "years_few"
    YEARS_MANY = "years_many"

    PHONE_MISSING = "phone_missing"
    PHONE_TOO_SHORT = "phone_too_short"
    PHONE_TOO_LONG = "phone_too_long"
    PHONE_NOT_UKRAINIAN = "phone_not_ukrainian"
    PHONE_NOT_MOBILE = "phone_not_mobile"
    NAME_MISSING = "name_missing"
    NAME_INCOMPLETE = "name_incomplete"
    NAME_INVALID = "name_invalid"
    NAME_NOT_CYRILLIC = "name_not_cyrillic"
    NAME_KINSHIP = "name_kinship"
    CITY_MISSING = "city_missing"
    CITY_INVALID = "city_invalid"
    CITY_RUSSIAN_SPELLING = "city_russian_spelling"
    CITY_LATIN = "city_latin"
    DELIVERY_POINT_MISSING = "delivery_point_missing"
    BRANCH = "branch"
    PARCEL_LOCKER = "parcel_locker"

    ORDER_EMPTY = "order_empty"
    ORDER_PRODUCT_UNKNOWN = "order_product_unknown"
    ORDER_PRODUCT_INACTIVE = "order_product_inactive"
    ORDER_SIZE_UNAVAILABLE = "order_size_unavailable"
    ORDER_COLOUR_UNAVAILABLE = "order_colour_unavailable"
    ORDER_COLOUR_REQUIRED = "order_colour_required"
    ORDER_QUANTITY_INVALID = "order_quantity_invalid"
    ORDER_SIZE_SOLD_OUT = "order_size_sold_out"
    ORDER_PRODUCT_SOLD_OUT = "order_product_sold_out"
    ORDER_SIZE_FEW_LEFT = "order_size_few_left"
    ORDER_SIZE_JUST_SOLD = "order_size_just_sold"
    SIZE_SOLD_OUT_TRY_NEXT = "size_sold_out_try_next"
    SIZE_SOLD_OUT = "size_sold_out"
    ORDER_NOT_FOUND = "order_not_found"
    ORDER_STATUS_REFUSED = "order_status_refused"
    STATUS_NEW = "status_new"
    STATUS_PAID = "status_paid"
    STATUS_SHIPPED = "status_shipped"
    STATUS_CANCELLED = "status_cancelled"

    IMPORT_ROW = "import_row"
    IMPORT_FAILED = "import_failed"
    IMPORT_DONE = "import_done"
    IMPORT_NO_EMBEDDINGS = "import_no_embeddings"
    IMPORT_EMBEDDINGS_DONE = "import_embeddings_done"
    IMPORT_EMBEDDINGS_FAILED = "import_embeddings_failed"
    EXPORT_DONE = "export_done"
    SYNC_CRM_NO_KEY = "sync_crm_no_key"
    SYNC_CRM_FAILED = "sync_crm_failed"
    FILE_NOT_FOUND = "file_not_found"
    FILE_UNREADABLE = "file_unreadable"
    FILE_BAD_FORMAT = "file_bad_format"
    FILE_EMPTY = "file_empty"
    YAML_BROKEN = "yaml_broken"
    YAML_NOT_A_LIST = "yaml_not_a_list"
    YAML_ROW_NOT_A_MAPPING = "yaml_row_not_a_mapping"
    COLUMN_MISSING = "column_missing"
    COLUMN_UNKNOWN = "column_unknown"
    VALUE_MISSING = "value_missing"
    PRICE_NOT_A_NUMBER = "price_not_a_number"
    PRICE_NEGATIVE = "price_negative"
    PRICE_ZERO = "price_zero"
    SIZE_LABEL_UNKNOWN = "size_label_unknown"
    SIZE_DUPLICATE = "size_duplicate"
    COLOUR_DUPLICATE = "colour_duplicate"
    SKU_DUPLICATE = "sku_duplicate"
    PRICE_BY_SIZE_MALFORMED = "price_by_size_malformed"
    PRICE_FOR_UNKNOWN_SIZE = "price_for_unknown_size"
    COLOR_PHOTOS_MALFORMED = "color_photos_malformed"
    PHOTO_FOR_UNKNOWN_COLOUR = "photo_for_unknown_colour"
    VARIATION_IDS_MALFORMED = "variation_ids_malformed"
    VARIATION_FOR_UNKNOWN_SIZE = "variation_for_unknown_size"
    VARIATION_FOR_UNKNOWN_COLOUR = "variation_for_unknown_colour"
    VARIATION_ID_INVALID = "variation_id_invalid"
    URL_INVALID = "url_invalid"
    FLAG_INVALID = "flag_invalid"
    STOCK_MALFORMED = "stock_malformed"
    STOCK_FOR_UNKNOWN_SIZE = "stock_for_unknown_size"
    IMPORT_READ_CSV = "import_read_csv"
    IMPORT_READ_XLSX = "import_read_xlsx"
    IMPORT_READ_YAML = "import_read_yaml"
    FILE_NOT_TEXT = "file_not_text"
    XLSX_BROKEN = "xlsx_broken"
    XLSX_NO_SHEET = "xlsx_no_sheet"


class Rejected(ValueError):
    """Input the shop cannot accept; `Texts.say` turns it into a sentence for the customer or the owner."""

    def __init__(self, text: Text, **values: Any) -> None:
        super().__init__(f"{text}: {values}")
        self.text = text
        self.values = values


class Texts(Templates[Text]):
    def say(self, rejected: Rejected) -> str:
        return self.render(rejected.text, **rejected.values)


def load_texts(path: Path | None = None) -> Texts:
    return Texts(read_templates(path, resources.files("catalog") / "texts.uk.yaml", Text))
