"""System parameters of the catalog app."""

from django.utils.translation import gettext_lazy as _

from ops.parameters import INT, LIST, register_parameter

BANNED_TITLE_WORDS = "catalog.banned_title_words"
PROMOTION_LOOKBACK_DAYS = "catalog.promotion_lookback_days"
MIN_IMAGES = "catalog.min_images"
IMPORT_MAX_ROWS = "catalog.import_max_rows"

register_parameter(
    BANNED_TITLE_WORDS,
    kind=LIST,
    default=[
        "最",
        "第一",
        "国家级",
        "世界级",
        "顶级",
        "最佳",
        "最高",
        "最低",
        "唯一",
        "极致",
        "绝对",
        "首选",
        "首个",
        "独家",
        "万能",
        "全网第一",
        "史无前例",
        "永久",
    ],
    description=_("Words refused in product titles and subtitles (advertising law)"),
)
register_parameter(
    PROMOTION_LOOKBACK_DAYS,
    kind=INT,
    default=30,
    description=_("A promotion price must be below the lowest price of this many days before"),
    minimum=7,
    maximum=365,
)
register_parameter(
    MIN_IMAGES,
    kind=INT,
    default=1,
    description=_("Pictures a product needs before it can be submitted for review"),
    minimum=1,
    maximum=20,
)
register_parameter(
    IMPORT_MAX_ROWS,
    kind=INT,
    default=5000,
    description=_("Most rows one Excel product import may hold"),
    minimum=1,
    maximum=100000,
)
