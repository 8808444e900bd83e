"""Generator for the demo sales warehouse (contract: shared/spec/demo-warehouse.md).

Everything random comes from ``numpy.random.default_rng`` seeded by ``seed`` (one child stream
per build step, so steps do not shift each other), and every fact table is generated with
vectorised numpy in month-sized chunks and bulk-inserted into DuckDB. Money is generated in
integer cents and cast to DECIMAL on insert, so sums are exact.

The data carries stories a question can find: a Q4 peak and a Chinese-New-Year dip, growth year
over year that differs by region, a West region that falls behind its revenue target in the as-of
month, Hardware margins that shrink from mid-2025 (costs creep up, discounts grow) and Online leads
that convert better over time. They are properties of the generating process, not stored answers.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
from numpy.typing import NDArray
from sqlglot import exp
from tqdm import tqdm

from metricqa.core.errors import RefusalReason, UserFacingError
from metricqa.core.messages import Message
from metricqa.core.settings import Settings

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

START = date(2024, 1, 1)
DEFAULT_AS_OF = date(2026, 11, 20)
_EPOCH = date(1970, 1, 1)
LINES_PER_SCALE = 100_000

# --- members -------------------------------------------------------------------------------------
REGIONS = (
    ("EAST", "East", "华东"),
    ("NORTH", "North", "华北"),
    ("SOUTH", "South", "华南"),
    ("WEST", "West", "西部"),
    ("CENTRAL", "Central", "华中"),
)
_WEST = 3
REGION_SHARE = np.array([0.30, 0.20, 0.24, 0.12, 0.14])
REGION_GROWTH = np.array([0.18, 0.10, 0.15, 0.12, 0.20])  # yearly order growth
REGION_ATTAINMENT = np.array([1.04, 0.98, 1.01, 0.97, 1.03])  # usual revenue / target, by region
REGION_WIN_RATE = np.array([0.44, 0.38, 0.41, 0.31, 0.42])
LAG_FACTOR = 0.62  # West's order volume in the as-of month, relative to plan (0.9 the month before)

CHANNELS = (
    ("ONLINE", "Online", "线上"),
    ("DIRECT", "Direct Sales", "直销"),
    ("DISTRIBUTOR", "Distributor", "经销商"),
    ("RETAIL", "Retail Store", "零售门店"),
)
_ONLINE = 0
CHANNEL_PRICE = np.array([0.98, 0.95, 0.88, 1.00])  # unit price / list price

SEGMENTS = (("Enterprise", "大客户"), ("SMB", "中小企业"), ("Consumer", "个人消费者"))
SEGMENT_SHARE = np.array([0.10, 0.35, 0.55])
CHANNEL_BY_SEGMENT = np.array([[0.10, 0.60, 0.25, 0.05], [0.35, 0.20, 0.35, 0.10], [0.60, 0.00, 0.10, 0.30]])
QTY_EXTRA_BY_SEGMENT = np.array([5.0, 1.5, 0.2])  # mean extra units per line
OPP_MEDIAN_BY_SEGMENT = np.array([120_000.0, 30_000.0, 4_000.0])
INDUSTRIES = (
    "Manufacturing", "Retail", "Finance", "Healthcare", "Education",
    "Technology", "Logistics", "Energy", "Government",
)  # fmt: skip
_INDIVIDUAL = "Individual"
NAME_HEADS = (
    "Golden", "Silver", "Blue", "Red", "Green", "North", "East", "Sun", "Star", "Great",
    "Bright", "Jade", "Pearl", "Summit", "River", "Cloud", "Dragon", "Phoenix", "Harbor", "Lotus",
)  # fmt: skip
NAME_TAILS = (
    "bridge", "field", "stone", "wave", "gate", "peak", "way", "port", "leaf", "line",
    "path", "wood", "light", "rock", "spring", "tech", "land", "sky", "bay", "view",
)  # fmt: skip
SURNAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
    "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo",
)  # fmt: skip
GIVEN_NAMES = (
    "Wei", "Fang", "Na", "Min", "Jing", "Lei", "Yang", "Jie", "Tao", "Ming",
    "Chao", "Xiu", "Hui", "Qiang", "Yan", "Jun", "Ping", "Gang", "Hong", "Bo",
)  # fmt: skip

PRODUCT_LINES = (
    ("Hardware", "硬件", "HW"),
    ("Software", "软件", "SW"),
    ("Services", "服务", "SV"),
    ("Accessories", "配件", "AC"),
)
_HARDWARE, _SOFTWARE, _SERVICES, _ACCESSORIES = 0, 1, 2, 3
COST_RATIO = np.array([0.66, 0.20, 0.55, 0.42])  # unit cost / list price, by product line
HARDWARE_COST_CREEP = 0.09  # extra cost ratio reached at the as-of date
LINE_BY_SEGMENT = np.array([[0.35, 0.30, 0.25, 0.10], [0.35, 0.25, 0.15, 0.25], [0.40, 0.10, 0.05, 0.45]])
PRODUCTS: tuple[tuple[str, int, int], ...] = (
    ("Edge Server E100", 0, 8999), ("Edge Server E300", 0, 15999), ("Workstation W5", 0, 12999),
    ("Laptop Pro 14", 0, 8999), ("Laptop Air 13", 0, 5999), ("Desktop D7", 0, 4999),
    ("Monitor 27 4K", 0, 2499), ("Tablet T10", 0, 3299), ("NAS Storage N4", 0, 6999),
    ("Network Switch S24", 0, 3999), ("Firewall F200", 0, 9999), ("Label Printer LP2", 0, 1499),
    ("Office Suite (annual)", 1, 599), ("ERP Cloud Basic", 1, 12000), ("ERP Cloud Pro", 1, 36000),
    ("CRM Cloud", 1, 9600), ("Security Suite", 1, 1200), ("Backup Cloud", 1, 2400),
    ("Design Studio", 1, 4800), ("Analytics BI", 1, 18000), ("HR Cloud", 1, 7200),
    ("Database Enterprise", 1, 48000),
    ("Installation Service", 2, 1500), ("Onsite Support (annual)", 2, 6000), ("Training Day", 2, 3000),
    ("Implementation Package", 2, 30000), ("Consulting Day", 2, 8000), ("Extended Warranty 3Y", 2, 1200),
    ("Data Migration", 2, 15000), ("Managed IT (monthly)", 2, 5000),
    ("Wireless Mouse", 3, 129), ("Mechanical Keyboard", 3, 399), ("USB-C Dock", 3, 899),
    ("Headset H2", 3, 299), ("Webcam 4K", 3, 599), ("Laptop Bag", 3, 199), ("Power Bank 20k", 3, 249),
    ("HDMI Cable 2m", 3, 49), ("Charger 100W", 3, 299), ("Screen Protector", 3, 79),
)  # fmt: skip

STATUSES = ("completed", "cancelled", "returned")
STATUS_P = np.array([0.90, 0.04, 0.06])
LINES_P = np.array([0.30, 0.30, 0.20, 0.20])  # 1..4 lines per order
MEAN_LINES = float((np.arange(1, 5) * LINES_P).sum())

LEAD_SOURCES = ("web", "event", "referral", "cold_call", "partner")
LEAD_CHANNEL_P = np.array([0.40, 0.20, 0.20, 0.20])
SOURCE_BY_CHANNEL = np.array(
    [[0.75, 0.05, 0.15, 0.00, 0.05], [0.05, 0.30, 0.25, 0.40, 0.00], [0.05, 0.15, 0.10, 0.00, 0.70],
     [0.30, 0.40, 0.30, 0.00, 0.00]]
)  # fmt: skip
CONVERSION_START = np.array([0.10, 0.22, 0.16, 0.14])  # at the start date, by channel
CONVERSION_END = np.array([0.30, 0.21, 0.16, 0.13])  # at the as-of date: Online rises
STAGES = ("prospecting", "qualified", "proposal", "negotiation", "won", "lost")

MONTH_FACTOR = np.array([0.95, 0.85, 0.97, 0.97, 1.00, 1.08, 0.95, 0.95, 1.00, 1.05, 1.30, 1.35])
WEEKEND_FACTOR = 0.6
CHINESE_NEW_YEAR = (
    date(2024, 2, 10),
    date(2025, 1, 29),
    date(2026, 2, 17),
    date(2027, 2, 6),
    date(2028, 1, 26),
)

CUSTOMERS_PER_SCALE = 6_000
LEADS_PER_SCALE = 30_000
OPPORTUNITIES_PER_SCALE = 8_000
RECENT_DAYS = 45  # a share of orders go to customers won in the last RECENT_DAYS days
SLOW_PAY_DAYS = 45  # orders this close to the as-of date are paid more slowly
LEGACY_CUSTOMERS = 0.12  # share of customers already there at START
ACQUISITION_GROWTH = 0.35  # new customers grow this much faster per year than orders

SCHEMA: dict[str, tuple[tuple[str, str], ...]] = {
    "dim_region": (("region_id", "VARCHAR"), ("region_name", "VARCHAR"), ("region_name_zh", "VARCHAR")),
    "dim_product": (
        ("product_id", "VARCHAR"), ("product_name", "VARCHAR"), ("product_line", "VARCHAR"),
        ("product_line_zh", "VARCHAR"), ("list_price", "DECIMAL(12,2)"), ("unit_cost", "DECIMAL(12,2)"),
    ),
    "dim_channel": (("channel_id", "VARCHAR"), ("channel_name", "VARCHAR"), ("channel_name_zh", "VARCHAR")),
    "dim_sales_rep": (
        ("rep_id", "VARCHAR"), ("rep_name", "VARCHAR"), ("region_id", "VARCHAR"), ("team", "VARCHAR"),
        ("hire_date", "DATE"),
    ),
    "dim_customer": (
        ("customer_id", "VARCHAR"), ("customer_name", "VARCHAR"), ("region_id", "VARCHAR"), ("segment", "VARCHAR"),
        ("segment_zh", "VARCHAR"), ("industry", "VARCHAR"), ("first_order_date", "DATE"),
    ),
    "fact_lead": (
        ("lead_id", "VARCHAR"), ("created_date", "DATE"), ("region_id", "VARCHAR"), ("channel_id", "VARCHAR"),
        ("source", "VARCHAR"), ("converted_date", "DATE"), ("customer_id", "VARCHAR"),
    ),
    "fact_opportunity": (
        ("opportunity_id", "VARCHAR"), ("lead_id", "VARCHAR"), ("customer_id", "VARCHAR"), ("rep_id", "VARCHAR"),
        ("region_id", "VARCHAR"), ("created_date", "DATE"), ("stage", "VARCHAR"), ("closed_date", "DATE"),
        ("amount", "DECIMAL(14,2)"),
    ),
    "fact_order": (
        ("order_id", "VARCHAR"), ("order_date", "DATE"), ("customer_id", "VARCHAR"), ("rep_id", "VARCHAR"),
        ("region_id", "VARCHAR"), ("channel_id", "VARCHAR"), ("status", "VARCHAR"),
    ),
    "fact_order_line": (
        ("order_id", "VARCHAR"), ("line_no", "INTEGER"), ("product_id", "VARCHAR"), ("quantity", "INTEGER"),
        ("unit_price", "DECIMAL(12,2)"), ("discount_amount", "DECIMAL(12,2)"), ("unit_cost", "DECIMAL(12,2)"),
    ),
    "fact_payment": (
        ("payment_id", "VARCHAR"), ("order_id", "VARCHAR"), ("payment_date", "DATE"), ("amount", "DECIMAL(14,2)"),
    ),
    "fact_target": (
        ("month", "DATE"), ("region_id", "VARCHAR"), ("metric", "VARCHAR"), ("target_value", "DECIMAL(14,2)"),
    ),
    "meta_warehouse": (("as_of", "DATE"), ("seed", "INTEGER"), ("scale", "DOUBLE"), ("generated_at", "TIMESTAMP")),
}  # fmt: skip


# --- small helpers -------------------------------------------------------------------------------
def _day(d: date) -> int:
    return (d - _EPOCH).days


def _categorical(rng: np.random.Generator, group: IntArray, probs: FloatArray) -> IntArray:
    """One draw per row from ``probs[group[row]]`` (a row-stochastic matrix), vectorised per group."""
    cdf = np.cumsum(probs, axis=1)
    cdf[:, -1] = 1.0
    u = rng.random(len(group))
    out = np.zeros(len(group), dtype=np.int64)
    for g in range(probs.shape[0]):
        mask = group == g
        out[mask] = np.searchsorted(cdf[g], u[mask], side="right")
    np.minimum(out, probs.shape[1] - 1, out=out)
    return out


def _joint_draw(rng: np.random.Generator, weights: FloatArray, n: int) -> tuple[IntArray, IntArray]:
    """``n`` (row, column) draws from a non-negative 2-D weight matrix, sorted by column then row."""
    cdf = np.cumsum(weights.ravel())
    flat = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    flat = np.minimum(flat, cdf.size - 1)
    row, col = np.divmod(flat, weights.shape[1])
    order = np.lexsort((row, col))
    return row[order].astype(np.int64), col[order].astype(np.int64)


def _cents(values: FloatArray) -> IntArray:
    return np.rint(values).astype(np.int64)


@dataclass(frozen=True)
class _Pool:
    """People (customers or reps) per region, sorted by the day they become available."""

    ids: tuple[IntArray, ...]
    start: tuple[IntArray, ...]

    @classmethod
    def build(cls, region: IntArray, start: IntArray, ids: IntArray) -> _Pool:
        parts = [np.flatnonzero(region == r) for r in range(len(REGIONS))]
        orders = [p[np.argsort(start[p], kind="stable")] for p in parts]
        return cls(tuple(ids[o] for o in orders), tuple(start[o] for o in orders))

    def pick(
        self, rng: np.random.Generator, region: IntArray, day: IntArray, recent_share: float = 0.0
    ) -> IntArray:
        """A person of the row's region available on the row's day; some favour the recently available."""
        u, recent = rng.random(len(day)), rng.random(len(day)) < recent_share
        out = np.zeros(len(day), dtype=np.int64)
        for r in range(len(REGIONS)):
            mask = region == r
            hi = np.maximum(np.searchsorted(self.start[r], day[mask], side="right"), 1)
            lo = np.where(
                recent[mask], np.searchsorted(self.start[r], day[mask] - RECENT_DAYS, side="left"), 0
            )
            lo = np.minimum(lo, hi - 1)
            out[mask] = self.ids[r][lo + (u[mask] * (hi - lo)).astype(np.int64)]
        return out


@dataclass(frozen=True)
class _Calendar:
    """Days from START to the end of the as-of year, and the daily order intensity per region."""

    days: IntArray  # epoch days
    month: IntArray  # month index of each day, 0 = START's month
    as_of_day: int
    plan: FloatArray  # (regions, days) intensity as planned
    actual: FloatArray  # (regions, days) intensity as it happened (West lags in the as-of month)

    @property
    def n_months(self) -> int:
        return int(self.month[-1]) + 1

    @property
    def as_of_month(self) -> int:
        return int(self.month[self.days == self.as_of_day][0])

    def trend(self, day: IntArray) -> FloatArray:
        """0 at START, 1 at the as-of date."""
        trend: FloatArray = (day - self.days[0]) / float(self.as_of_day - self.days[0])
        return trend

    def observed(self) -> NDArray[np.bool_]:
        return self.days <= self.as_of_day


def _calendar(as_of: date) -> _Calendar:
    days = np.arange(_day(START), _day(date(as_of.year, 12, 31)) + 1, dtype=np.int64)
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    cny = np.ones(len(days))
    for festival in CHINESE_NEW_YEAR:
        cny[(days >= _day(festival) - 4) & (days <= _day(festival) + 8)] = 0.5
    base = MONTH_FACTOR[months % 12] * np.where(weekday >= 5, WEEKEND_FACTOR, 1.0) * cny
    years = (days - days[0]) / 365.25
    plan = REGION_SHARE[:, None] * (1 + REGION_GROWTH[:, None]) ** years[None, :] * base[None, :]
    month = months - months[0]
    as_of_month = int(month[days == _day(as_of)][0])
    lag = np.ones_like(plan)
    lag[_WEST, month == as_of_month] = LAG_FACTOR
    lag[_WEST, month == as_of_month - 1] = 0.9
    return _Calendar(days, month, _day(as_of), plan, plan * lag)


# --- dimensions ----------------------------------------------------------------------------------
def _product_ids() -> list[str]:
    counters = [0] * len(PRODUCT_LINES)
    ids = []
    for _, line, _ in PRODUCTS:
        counters[line] += 1
        ids.append(f"{PRODUCT_LINES[line][2]}-{counters[line]:02d}")
    return ids


def _product_rows() -> list[tuple[object, ...]]:
    """Products with list price and today's standard cost (Hardware's after its cost creep)."""
    creep = HARDWARE_COST_CREEP * _creep(np.array([1.0]))[0]
    rows: list[tuple[object, ...]] = []
    for pid, (name, line, price) in zip(_product_ids(), PRODUCTS, strict=True):
        ratio = COST_RATIO[line] + (creep if line == _HARDWARE else 0.0)
        rows.append(
            (pid, name, PRODUCT_LINES[line][0], PRODUCT_LINES[line][1], price, round(price * ratio, 2))
        )
    return rows


def _creep(trend: FloatArray) -> FloatArray:
    """Hardware margin erosion: 0 until halfway through the history, then rising linearly to 1."""
    creep: FloatArray = np.clip((trend - 0.5) / 0.5, 0.0, 1.0)
    return creep


def _reps(rng: np.random.Generator) -> tuple[list[tuple[object, ...]], _Pool]:
    """Ten reps per region; seven hired before START, three during the history."""
    rows: list[tuple[object, ...]] = []
    region, hired = [], []
    for i in range(len(REGIONS) * 10):
        r, k = divmod(i, 10)
        lo, hi = (date(2016, 1, 1), date(2023, 6, 30)) if k < 7 else (date(2024, 3, 1), date(2026, 6, 30))
        day = int(rng.integers(_day(lo), _day(hi) + 1))
        hire = date.fromordinal(_EPOCH.toordinal() + day)
        team = f"{REGIONS[r][1]} {'Key Accounts' if k % 3 == 0 else 'Commercial'}"
        name = f"{SURNAMES[i % 20]} {GIVEN_NAMES[(i + 7 * (i // 20)) % 20]}"
        rows.append((f"R{i + 1:03d}", name, REGIONS[r][0], team, hire))
        region.append(r)
        hired.append(day)
    ids = np.arange(1, len(rows) + 1, dtype=np.int64)
    return rows, _Pool.build(np.array(region), np.array(hired, dtype=np.int64), ids)


@dataclass(frozen=True)
class _Customers:
    region: IntArray
    segment: IntArray
    industry: IntArray
    name_a: IntArray
    name_b: IntArray
    acquired: IntArray
    pool: _Pool


def _customers(rng: np.random.Generator, cal: _Calendar, n: int) -> _Customers:
    """Customers won over the history (some already there at START), in order of acquisition."""
    observed = cal.observed()
    faster = 1 + ACQUISITION_GROWTH * (cal.days[observed] - cal.days[0]) / 365.25
    region, col = _joint_draw(rng, cal.plan[:, observed] * faster[None, :], n)
    acquired = np.where(rng.random(n) < LEGACY_CUSTOMERS, cal.days[0], cal.days[col])
    segment = _categorical(rng, np.zeros(n, dtype=np.int64), SEGMENT_SHARE[None, :])
    seed_rows = min(n, len(REGIONS) * len(SEGMENTS))  # every region starts with every segment
    region[:seed_rows] = np.arange(seed_rows) % len(REGIONS)
    segment[:seed_rows] = (np.arange(seed_rows) // len(REGIONS)) % len(SEGMENTS)
    acquired[:seed_rows] = cal.days[0]
    industry = np.where(segment == 2, len(INDUSTRIES), rng.integers(0, len(INDUSTRIES), n))
    name_a, name_b = rng.integers(0, 20, n), rng.integers(0, 20, n)
    order = np.lexsort((region, acquired))
    region, segment, industry, acquired = region[order], segment[order], industry[order], acquired[order]
    name_a, name_b = name_a[order], name_b[order]
    pool = _Pool.build(region, acquired, np.arange(1, n + 1, dtype=np.int64))
    return _Customers(region, segment, industry, name_a, name_b, acquired, pool)


# --- orders, lines, payments ---------------------------------------------------------------------
@dataclass(frozen=True)
class _World:
    cal: _Calendar
    customers: _Customers
    reps: _Pool
    orders_per_intensity: float


def _order_headers(rng: np.random.Generator, world: _World, month: int) -> dict[str, IntArray]:
    cal = world.cal
    cols = np.flatnonzero((cal.month == month) & cal.observed())
    expected = world.orders_per_intensity * cal.actual[:, cols].T  # (days, regions)
    counts = np.floor(expected + rng.random(expected.shape)).astype(np.int64)  # low-variance rounding
    day = np.repeat(np.repeat(cal.days[cols], len(REGIONS)), counts.ravel())
    region = np.repeat(np.tile(np.arange(len(REGIONS)), len(cols)), counts.ravel())
    customer = world.customers.pool.pick(rng, region, day, recent_share=0.3)
    segment = world.customers.segment[customer - 1]
    channel = _categorical(rng, segment, CHANNEL_BY_SEGMENT)
    rep = world.reps.pick(rng, region, day)
    status = _categorical(rng, np.zeros(len(day), dtype=np.int64), STATUS_P[None, :])
    return {"day": day, "region": region, "customer": customer, "segment": segment, "channel": channel,
            "rep": rep, "status": status}  # fmt: skip


def _order_lines(
    rng: np.random.Generator, cal: _Calendar, orders: Mapping[str, IntArray]
) -> dict[str, IntArray]:
    n_lines = 1 + _categorical(rng, np.zeros(len(orders["day"]), dtype=np.int64), LINES_P[None, :])
    order = np.repeat(np.arange(len(n_lines)), n_lines)
    line_no = np.arange(len(order)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    segment, channel, day = orders["segment"][order], orders["channel"][order], orders["day"][order]
    product = _categorical(rng, segment, _product_probs())
    line = np.array([p[1] for p in PRODUCTS])[product]
    list_cents = np.array([p[2] * 100 for p in PRODUCTS], dtype=np.int64)[product]
    unit_mult = np.select([line == _ACCESSORIES, line == _SERVICES], [2.0, 0.3], 1.0)
    unit_mult *= np.minimum(1.0, np.sqrt(2_000_00 / list_cents))  # fewer units of the expensive items
    quantity = 1 + rng.poisson(QTY_EXTRA_BY_SEGMENT[segment] * unit_mult)
    price = _cents(list_cents * CHANNEL_PRICE[channel])
    creep = _creep(cal.trend(day)) * (line == _HARDWARE)
    month_of_year = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    promo = ((month_of_year == 10) | (month_of_year == 5)) & (channel == _ONLINE)  # Double 11 and 618
    discounted = rng.random(len(order)) < 0.25 + 0.35 * creep + 0.30 * promo
    pct = rng.uniform(0.02, 0.10, len(order)) + 0.06 * creep + 0.04 * promo
    discount = np.where(discounted, _cents(quantity * price * pct), 0)
    ratio = (COST_RATIO[line] + HARDWARE_COST_CREEP * creep) * (1 + rng.normal(0, 0.02, len(order)))
    return {"order": order, "line_no": line_no, "product": product, "quantity": quantity, "price": price,
            "discount": discount, "cost": _cents(list_cents * ratio)}  # fmt: skip


def _product_probs() -> FloatArray:
    """Product mix per segment: line shares, cheaper products favoured outside Enterprise."""
    line = np.array([p[1] for p in PRODUCTS])
    price = np.array([p[2] for p in PRODUCTS], dtype=np.float64)
    probs = np.zeros((len(SEGMENTS), len(PRODUCTS)))
    for s in range(len(SEGMENTS)):
        weight = np.ones(len(PRODUCTS)) if s == 0 else price**-0.5
        for ln in range(len(PRODUCT_LINES)):
            in_line = line == ln
            probs[s, in_line] = LINE_BY_SEGMENT[s, ln] * weight[in_line] / weight[in_line].sum()
    return probs


def _payments(
    rng: np.random.Generator, day: IntArray, revenue: IntArray, as_of_day: int
) -> dict[str, IntArray]:
    """One or two payments within 60 days for most completed orders; later ones not yet recorded.

    Customers pay more slowly on orders of the last SLOW_PAY_DAYS days, so collection dips lately.
    """
    n = len(day)
    recent = day > as_of_day - SLOW_PAY_DAYS
    paid = (revenue > 0) & (rng.random(n) >= np.where(recent, 0.06, 0.03))
    split = rng.random(n) < 0.3
    first_delay = np.where(split, rng.gamma(2.0, 7.0, n), rng.gamma(2.5, 11.0, n)) * np.where(
        recent, 1.6, 1.0
    )
    first_delay = np.minimum(first_delay, np.where(split, 30, 60)).astype(np.int64)
    second_delay = np.minimum(first_delay + rng.integers(10, 31, n), 60)
    first = np.where(split, np.floor(revenue * rng.uniform(0.3, 0.7, n)).astype(np.int64), revenue)
    order = np.concatenate([np.flatnonzero(paid), np.flatnonzero(paid & split)])
    pay_day = np.concatenate([(day + first_delay)[paid], (day + second_delay)[paid & split]])
    amount = np.concatenate([first[paid], (revenue - first)[paid & split]])
    keep = pay_day <= as_of_day
    sort = np.lexsort((order[keep], pay_day[keep]))
    return {"order": order[keep][sort], "day": pay_day[keep][sort], "amount": amount[keep][sort]}


# --- SQL -----------------------------------------------------------------------------------------
_INSERT_ORDERS = (
    "INSERT INTO fact_order SELECT printf('O%08d', id), DATE '1970-01-01' + CAST(day AS INTEGER),"
    " printf('C%07d', customer), printf('R%03d', rep), ($regions::VARCHAR[])[region + 1],"
    " ($channels::VARCHAR[])[channel + 1], ($statuses::VARCHAR[])[status + 1] FROM chunk"
)
_INSERT_LINES = (
    "INSERT INTO fact_order_line SELECT printf('O%08d', order_id), CAST(line_no AS INTEGER),"
    " ($products::VARCHAR[])[product + 1], CAST(quantity AS INTEGER),"
    " CAST(CAST(price AS DOUBLE) / 100 AS DECIMAL(12,2)), CAST(CAST(discount AS DOUBLE) / 100 AS DECIMAL(12,2)),"
    " CAST(CAST(cost AS DOUBLE) / 100 AS DECIMAL(12,2)) FROM chunk"
)
_INSERT_PAYMENTS = (
    "INSERT INTO fact_payment SELECT printf('P%08d', id), printf('O%08d', order_id),"
    " DATE '1970-01-01' + CAST(day AS INTEGER), CAST(CAST(amount AS DOUBLE) / 100 AS DECIMAL(14,2)) FROM chunk"
)
_INSERT_LEADS = (
    "INSERT INTO fact_lead SELECT printf('L%08d', id), DATE '1970-01-01' + CAST(day AS INTEGER),"
    " ($regions::VARCHAR[])[region + 1], ($channels::VARCHAR[])[channel + 1], ($sources::VARCHAR[])[source + 1],"
    " CASE WHEN converted >= 0 THEN DATE '1970-01-01' + CAST(converted AS INTEGER) END,"
    " CASE WHEN customer > 0 THEN printf('C%07d', customer) END FROM chunk"
)
_INSERT_OPPORTUNITIES = (
    "INSERT INTO fact_opportunity SELECT printf('OP%07d', id), CASE WHEN lead > 0 THEN printf('L%08d', lead) END,"
    " printf('C%07d', customer), printf('R%03d', rep), ($regions::VARCHAR[])[region + 1],"
    " DATE '1970-01-01' + CAST(day AS INTEGER), ($stages::VARCHAR[])[stage + 1],"
    " CASE WHEN closed >= 0 THEN DATE '1970-01-01' + CAST(closed AS INTEGER) END,"
    " CAST(CAST(amount AS DOUBLE) / 100 AS DECIMAL(14,2)) FROM chunk"
)
_INSERT_CUSTOMERS = (
    "INSERT INTO dim_customer SELECT printf('C%07d', id),"
    " CASE WHEN segment = 2 THEN ($surnames::VARCHAR[])[name_a + 1] || ' ' || ($given::VARCHAR[])[name_b + 1]"
    " ELSE ($heads::VARCHAR[])[name_a + 1] || ($tails::VARCHAR[])[name_b + 1] || ' '"
    " || ($industries::VARCHAR[])[industry + 1] || CASE WHEN segment = 0 THEN ' Group' ELSE ' Co.' END END,"
    " ($regions::VARCHAR[])[region + 1], ($segments::VARCHAR[])[segment + 1], ($segments_zh::VARCHAR[])[segment + 1],"
    " ($industries::VARCHAR[])[industry + 1], CASE WHEN first_order >= 0 THEN DATE '1970-01-01'"
    " + CAST(first_order AS INTEGER) END FROM chunk"
)
_INSERT_TARGETS = (
    "INSERT INTO fact_target SELECT DATE '1970-01-01' + CAST(month AS INTEGER), ($regions::VARCHAR[])[region + 1],"
    " 'revenue',"
    " CAST(CAST(target AS DOUBLE) / 100 AS DECIMAL(14,2)) FROM chunk ORDER BY month, region"
)
_LOOKUPS: dict[str, list[str]] = {
    "regions": [r[0] for r in REGIONS],
    "channels": [c[0] for c in CHANNELS],
    "statuses": list(STATUSES),
    "products": _product_ids(),
    "sources": list(LEAD_SOURCES),
    "stages": list(STAGES),
    "surnames": list(SURNAMES),
    "given": list(GIVEN_NAMES),
    "heads": list(NAME_HEADS),
    "tails": list(NAME_TAILS),
    "industries": [*INDUSTRIES, _INDIVIDUAL],
    "segments": [s[0] for s in SEGMENTS],
    "segments_zh": [s[1] for s in SEGMENTS],
}


def _insert(con: duckdb.DuckDBPyConnection, sql: str, columns: Mapping[str, object]) -> None:
    """Bulk-insert a dict of equal-length numpy arrays through ``sql`` (which reads from ``chunk``)."""
    con.register("chunk", dict(columns))
    try:
        params = {k: v for k, v in _LOOKUPS.items() if f"${k}" in sql}
        con.execute(sql, params)
    finally:
        con.unregister("chunk")


def _create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """CREATE TABLE for every table in SCHEMA, built with sqlglot (no SQL by string formatting)."""
    for table, columns in SCHEMA.items():
        defs = [
            exp.ColumnDef(this=exp.to_identifier(name), kind=exp.DataType.build(kind))
            for name, kind in columns
        ]
        ddl = exp.Create(this=exp.Schema(this=exp.to_table(table), expressions=defs), kind="TABLE")
        con.execute(ddl.sql(dialect="duckdb"))


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[object, ...]]) -> None:
    relation = con.table(table)
    for row in rows:
        relation.insert(list(row))


# --- build steps ---------------------------------------------------------------------------------
def _write_dimensions(con: duckdb.DuckDBPyConnection, rep_rows: list[tuple[object, ...]]) -> None:
    _insert_rows(con, "dim_region", [tuple(r) for r in REGIONS])
    _insert_rows(con, "dim_channel", [tuple(c) for c in CHANNELS])
    _insert_rows(con, "dim_product", _product_rows())
    _insert_rows(con, "dim_sales_rep", rep_rows)


@dataclass
class _OrderTotals:
    """Running totals the later steps need: completed revenue per region-month, first orders."""

    revenue: IntArray  # (regions, months) completed revenue in cents
    first_order: IntArray  # per customer, epoch day of the first completed order, -1 if none
    next_order: int = 1
    next_payment: int = 1


def _write_month(con: duckdb.DuckDBPyConnection, rng: np.random.Generator, world: _World, month: int,
                 totals: _OrderTotals) -> None:  # fmt: skip
    orders = _order_headers(rng, world, month)
    lines = _order_lines(rng, world.cal, orders)
    completed = orders["status"] == 0
    line_revenue = lines["quantity"] * lines["price"] - lines["discount"]
    weights = line_revenue * completed[lines["order"]]
    revenue = _cents(
        np.bincount(lines["order"], weights=weights, minlength=len(completed)).astype(np.float64)
    )
    np.add.at(totals.revenue[:, month], orders["region"], revenue)
    _note_first_orders(totals, orders["customer"][completed], orders["day"][completed])
    payments = _payments(rng, orders["day"], revenue, world.cal.as_of_day)
    ids = totals.next_order + np.arange(len(completed), dtype=np.int64)
    _insert(con, _INSERT_ORDERS, {"id": ids, **orders})
    _insert(
        con,
        _INSERT_LINES,
        {"order_id": ids[lines["order"]], **{k: v for k, v in lines.items() if k != "order"}},
    )
    pay_ids = totals.next_payment + np.arange(len(payments["day"]), dtype=np.int64)
    _insert(con, _INSERT_PAYMENTS, {"id": pay_ids, "order_id": ids[payments["order"]],
                                    "day": payments["day"], "amount": payments["amount"]})  # fmt: skip
    totals.next_order += len(completed)
    totals.next_payment += len(pay_ids)


def _note_first_orders(totals: _OrderTotals, customer: IntArray, day: IntArray) -> None:
    """Orders arrive in date order, so a customer's first completed order is the first one seen."""
    unique, first = np.unique(customer, return_index=True)
    fresh = totals.first_order[unique - 1] < 0
    totals.first_order[unique[fresh] - 1] = day[first[fresh]]


def _leads(rng: np.random.Generator, world: _World, n: int) -> dict[str, IntArray]:
    """Leads by creation date; conversion depends on channel and (for Online) rises over time."""
    cal = world.cal
    region, col = _joint_draw(rng, cal.actual[:, cal.observed()], n)
    day = cal.days[col]
    channel = _categorical(rng, np.zeros(n, dtype=np.int64), LEAD_CHANNEL_P[None, :])
    source = _categorical(rng, channel, SOURCE_BY_CHANNEL)
    trend = cal.trend(day)
    p_convert = CONVERSION_START[channel] + (CONVERSION_END - CONVERSION_START)[channel] * trend
    converted_day = day + 1 + rng.geometric(1 / 12, n)
    converted = (rng.random(n) < p_convert) & (converted_day <= cal.as_of_day)
    converted_day = np.where(converted, converted_day, -1)
    customer = world.customers.pool.pick(rng, region, np.maximum(converted_day, day), recent_share=1.0)
    customer = np.where(converted, customer, 0)
    ids = np.arange(1, n + 1, dtype=np.int64)
    return {"id": ids, "day": day, "region": region, "channel": channel, "source": source,
            "converted": converted_day, "customer": customer}  # fmt: skip


def _opportunities(
    rng: np.random.Generator, world: _World, leads: Mapping[str, IntArray], n: int
) -> dict[str, IntArray]:
    """Half the opportunities come from converted leads; stage follows a sampled time to close."""
    cal, customers = world.cal, world.customers
    converted = np.flatnonzero(leads["converted"] >= 0)
    from_leads = np.sort(rng.choice(converted, min(n // 2, len(converted)), replace=False))
    lead_day = np.minimum(leads["converted"][from_leads] + rng.integers(0, 8, len(from_leads)), cal.as_of_day)
    region, col = _joint_draw(rng, cal.actual[:, cal.observed()], n - len(from_leads))
    other_day = cal.days[col]
    day = np.concatenate([lead_day, other_day])
    region = np.concatenate([leads["region"][from_leads], region])
    customer = np.concatenate(
        [leads["customer"][from_leads], customers.pool.pick(rng, region[len(from_leads) :], other_day)]
    )
    lead = np.concatenate([leads["id"][from_leads], np.zeros(len(other_day), dtype=np.int64)])
    order = np.lexsort((region, day))
    day, region, customer, lead = day[order], region[order], customer[order], lead[order]
    segment = customers.segment[customer - 1]
    amount = np.round(OPP_MEDIAN_BY_SEGMENT[segment] * rng.lognormal(0.0, 0.6, n), -2) * 100
    to_close = 7 + rng.gamma(2.0, 22.0, n).astype(np.int64)
    closed = day + to_close <= cal.as_of_day
    won = rng.random(n) < REGION_WIN_RATE[region] - 0.06 * (region == _WEST) * cal.trend(day)
    progress = np.minimum((cal.as_of_day - day) / to_close * 4, 3).astype(np.int64)
    stage = np.where(closed, np.where(won, 4, 5), progress)
    return {"id": np.arange(1, n + 1, dtype=np.int64), "lead": lead, "customer": customer,
            "rep": world.reps.pick(rng, region, day), "region": region, "day": day, "stage": stage,
            "closed": np.where(closed, day + to_close, -1), "amount": _cents(amount)}  # fmt: skip


def _targets(rng: np.random.Generator, cal: _Calendar, revenue: IntArray) -> dict[str, IntArray]:
    """Monthly revenue targets per region, from the plan intensity and the revenue it yielded.

    A month's target is what the plan predicted at the observed revenue per unit of intensity,
    divided by a usual attainment; the West slump is in the actual intensity, not the plan, so
    West's as-of-month target stays where the plan put it. Months after the as-of month use the
    rate of the last three observed months.
    """
    n_regions, n_months, now = len(REGIONS), cal.n_months, cal.as_of_month
    observed = cal.observed()
    plan = np.stack(
        [np.bincount(cal.month, weights=cal.plan[r], minlength=n_months) for r in range(n_regions)]
    )
    seen = np.stack(
        [
            np.bincount(cal.month[observed], weights=cal.actual[r, observed], minlength=n_months)
            for r in range(n_regions)
        ]
    )
    overall = revenue.sum() / seen.sum() if revenue.sum() > 0 else 1.0
    fallback = np.where(revenue.sum(axis=1) > 0, revenue.sum(axis=1) / seen.sum(axis=1), overall)
    rate = np.where(revenue > 0, revenue / np.maximum(seen, 1e-12), fallback[:, None])
    recent = slice(max(0, now - 2), now + 1)
    recent_rate = revenue[:, recent].sum(axis=1) / seen[:, recent].sum(axis=1)
    rate[:, now + 1 :] = np.where(recent_rate > 0, recent_rate, fallback)[:, None]
    attainment = np.clip(rng.normal(REGION_ATTAINMENT[:, None], 0.05, (n_regions, n_months)), 0.85, 1.15)
    attainment[:, now] = np.clip(rng.normal(1.0, 0.03, n_regions), 0.94, 1.06)
    target = np.round(rate * plan / attainment, -4)  # cents, rounded to hundreds of yuan
    first = np.datetime64(START.isoformat(), "M")
    month_day = (first + np.arange(n_months)).astype("datetime64[D]").astype(np.int64)
    region, month = np.meshgrid(np.arange(n_regions), np.arange(n_months), indexing="ij")
    return {"month": month_day[month.ravel()], "region": region.ravel(), "target": _cents(target.ravel())}


def _customer_columns(customers: _Customers, first_order: IntArray) -> dict[str, IntArray]:
    return {"id": np.arange(1, len(customers.region) + 1, dtype=np.int64), "name_a": customers.name_a,
            "name_b": customers.name_b, "region": customers.region, "segment": customers.segment,
            "industry": customers.industry, "first_order": first_order}  # fmt: skip


def _check_arguments(scale: float, as_of: date) -> None:
    if not scale > 0:
        raise UserFacingError(
            Message("error.demo_scale", {"scale": scale}),
            kind="invalid_argument",
            reason=RefusalReason.INVALID_ARGUMENT,
        )
    if not date(START.year, 3, 1) <= as_of <= date(2099, 12, 31):
        raise UserFacingError(
            Message("error.demo_as_of", {"first": f"{START.year}-03-01", "as_of": as_of}),
            kind="invalid_argument",
            reason=RefusalReason.INVALID_ARGUMENT,
        )


Step = Callable[[], object]


def _build(con: duckdb.DuckDBPyConnection, scale: float, seed: int, as_of: date, progress: bool) -> None:
    cal = _calendar(as_of)

    def stream(k: int) -> np.random.Generator:
        return np.random.default_rng([seed, k])

    _create_schema(con)
    rep_rows, reps = _reps(stream(1))
    customers = _customers(
        stream(2), cal, max(len(REGIONS) * len(SEGMENTS), round(CUSTOMERS_PER_SCALE * scale))
    )
    orders_total = LINES_PER_SCALE * scale / MEAN_LINES
    world = _World(cal, customers, reps, orders_total / cal.actual[:, cal.observed()].sum())
    totals = _OrderTotals(
        np.zeros((len(REGIONS), cal.n_months), dtype=np.int64),
        np.full(len(customers.region), -1, dtype=np.int64),
    )
    leads: dict[str, IntArray] = {}

    def write_leads() -> None:
        leads.update(_leads(stream(3), world, max(1, round(LEADS_PER_SCALE * scale))))
        _insert(con, _INSERT_LEADS, leads)

    steps: list[tuple[str, Step]] = [("dimensions", lambda: _write_dimensions(con, rep_rows))]
    steps += [
        (f"orders month {m + 1}", partial(_write_month, con, stream(100 + m), world, m, totals))
        for m in range(cal.as_of_month + 1)
    ]
    steps += [
        ("leads", write_leads),
        ("opportunities", lambda: _insert(con, _INSERT_OPPORTUNITIES, _opportunities(
            stream(4), world, leads, max(1, round(OPPORTUNITIES_PER_SCALE * scale))))),
        ("customers", lambda: _insert(con, _INSERT_CUSTOMERS, _customer_columns(customers, totals.first_order))),
        ("targets", lambda: _insert(con, _INSERT_TARGETS, _targets(stream(5), cal, totals.revenue))),
        ("meta", lambda: con.table("meta_warehouse").insert(
            [as_of, seed, float(scale), datetime.now(UTC).replace(tzinfo=None)])),
        ("checkpoint", lambda: con.execute("CHECKPOINT")),
    ]  # fmt: skip
    with tqdm(
        total=len(steps),
        desc="demo warehouse",
        unit="step",
        file=sys.stderr,
        disable=not (progress and sys.stderr.isatty()),  # no carriage-return bars in logs and pipes
    ) as bar:
        for name, step in steps:
            bar.set_postfix_str(name)
            step()
            bar.update()


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)


def build_demo_warehouse(
    path: Path, scale: float = 1.0, seed: int = 42, as_of: date = DEFAULT_AS_OF, progress: bool = True
) -> Path:
    """Build the demo warehouse at ``path`` (replacing it) and return the path.

    The file is written under a temporary name next to ``path`` and renamed when complete,
    so a half-built warehouse never appears at ``path``.
    """
    _check_arguments(scale, as_of)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.building")
    _remove(tmp)
    try:
        con = duckdb.connect(str(tmp))
        try:
            _build(con, scale, seed, as_of, progress)
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        _remove(tmp)
    return path


def table_counts(path: Path) -> dict[str, int]:
    """Rows per table of a built warehouse, in SCHEMA order."""
    with duckdb.connect(str(path), read_only=True) as con:
        counts = {}
        for table in SCHEMA:
            counts[table] = int(con.table(table).aggregate("count(*)").fetchall()[0][0])
        return counts


def ensure_demo_warehouse(settings: Settings) -> Path:
    """The configured warehouse; with none configured, the demo one under ``home``, built on first use."""
    path = settings.resolved_warehouse()
    if settings.warehouse is None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        build_demo_warehouse(path, scale=1.0, seed=42, progress=True)
    return path


def build_cli(path: Path, scale: float, seed: int) -> None:
    """Build the warehouse and print a one-line summary: rows per table and seconds taken."""
    started = time.perf_counter()
    build_demo_warehouse(path, scale=scale, seed=seed)
    seconds = time.perf_counter() - started
    rows = ", ".join(f"{table}={count:,}" for table, count in table_counts(path).items())
    print(f"Built demo warehouse {path} (scale {scale:g}, seed {seed}) in {seconds:.1f}s: {rows}")
