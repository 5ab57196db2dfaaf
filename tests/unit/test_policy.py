"""The policy rules, one by one, with the boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connectors.policy import (
    CustomerLink,
    PolicyError,
    Rule,
    compile_policy,
    load_policy,
    parse_policy,
    subtract_months,
)

LINKED = datetime(2024, 3, 31, 15, 30, tzinfo=UTC)  # link date 2024-03-31


def compiled(data: dict, linked_at: datetime = LINKED, customer_id: str = "1"):
    policy = parse_policy(data, known_vendors=["bayou", "wattzon"])
    return compile_policy(policy, [CustomerLink("bayou", customer_id, linked_at, "has_filled_credentials_on")])


def in_policy(c, day: date, bill_id: str = "b1", customer_id: str = "1") -> bool:
    return c.bill_decision("bayou", customer_id, bill_id, day).in_policy


def test_committed_default_is_bayous_default(project_root):
    policy = load_policy(project_root / "policy.yml")
    assert policy.default == Rule(history=12, continuous=True)
    assert policy.customers == {} and policy.unlocked_bills == frozenset()


def test_history_window_boundary_is_exactly_n_months_inclusive():
    c = compiled({"default": {"history": 12, "continuous": True}})
    # 2024-03-31 minus 12 months = 2023-03-31
    assert in_policy(c, date(2023, 3, 31))
    assert not in_policy(c, date(2023, 3, 30))
    assert in_policy(c, date(2024, 3, 30))  # the day before linking is historical, inside the window


def test_month_subtraction_clamps_to_month_end():
    assert subtract_months(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert subtract_months(date(2023, 3, 31), 1) == date(2023, 2, 28)
    assert subtract_months(date(2024, 1, 15), 13) == date(2022, 12, 15)
    c = compiled({"default": {"history": 1}})
    assert in_policy(c, date(2024, 2, 29)) and not in_policy(c, date(2024, 2, 28))


def test_statement_on_link_date_is_ongoing():
    c = compiled({"default": {"history": "none", "continuous": True}})
    assert in_policy(c, date(2024, 3, 31))
    assert not in_policy(c, date(2024, 3, 30))
    c = compiled({"default": {"history": "all", "continuous": False}})
    assert not in_policy(c, date(2024, 3, 31))
    assert in_policy(c, date(2024, 3, 30))
    assert in_policy(c, date(1990, 1, 1))


def test_history_none_and_zero_admit_no_history():
    for history in ("none", 0):
        c = compiled({"default": {"history": history, "continuous": True}})
        assert not in_policy(c, date(2024, 3, 30))
        assert in_policy(c, date(2025, 1, 1))


def test_continuous_false_stops_ongoing_bills():
    c = compiled({"default": {"history": 12, "continuous": False}})
    assert not in_policy(c, date(2024, 4, 1))
    assert c.bill_decision("bayou", "1", "b", date(2024, 4, 1)).reason == "ongoing, continuous=false"


def test_per_customer_override_replaces_only_given_fields():
    data = {
        "default": {"history": 12, "continuous": True},
        "customers": [{"vendor": "bayou", "customer_id": 1, "history": 24}],
    }
    c = compiled(data)
    assert in_policy(c, date(2022, 3, 31)) and not in_policy(c, date(2022, 3, 30))
    assert in_policy(c, date(2025, 1, 1))  # continuous inherited from default
    data["customers"][0] = {"vendor": "bayou", "customer_id": "1", "continuous": False}
    c = compiled(data)
    assert not in_policy(c, date(2025, 1, 1))
    assert in_policy(c, date(2023, 3, 31))  # history inherited
    # another customer keeps the default
    other = compile_policy(parse_policy(data), [CustomerLink("bayou", "2", LINKED, "x")])
    assert other.bill_decision("bayou", "2", "b", date(2025, 1, 1)).in_policy


def test_per_bill_unlock_wins_over_everything():
    c = compiled({"default": {"history": "none", "continuous": False},
                  "unlocked_bills": [{"vendor": "bayou", "bill_id": 20417}]})
    assert in_policy(c, date(2001, 1, 1), bill_id="20417")
    assert not in_policy(c, date(2001, 1, 1), bill_id="20418")
    # even for a customer the policy does not know
    assert c.bill_decision("bayou", "unknown", "20417", None).in_policy


def test_unknown_customer_is_out_of_policy():
    c = compiled({"default": {"history": "all"}})
    decision = c.bill_decision("bayou", "999", "b", date(2024, 1, 1))
    assert not decision.in_policy and "unknown" in decision.reason


def test_intervals_follow_the_rule_on_start_time_at_midnight_utc():
    c = compiled({"default": {"history": 1, "continuous": False}})
    customer = c.customer("bayou", "1")
    assert customer.covers_time(datetime(2024, 2, 29, 0, 0, tzinfo=UTC))
    assert not customer.covers_time(datetime(2024, 2, 28, 23, 45, tzinfo=UTC))
    assert customer.covers_time(datetime(2024, 3, 30, 23, 45, tzinfo=UTC))
    assert not customer.covers_time(datetime(2024, 3, 31, 0, 0, tzinfo=UTC))


def test_compiled_tables_carry_the_windows():
    tables = compiled({"default": {"history": 12, "continuous": True}}).to_tables()
    windows = tables["policy_windows"].to_pylist()
    assert [(w["window_kind"], w["starts_on"], w["ends_on"]) for w in windows] == [
        ("history", date(2023, 3, 31), date(2024, 3, 31)),
        ("ongoing", date(2024, 3, 31), None),
    ]
    assert windows[0]["starts_at"] == datetime(2023, 3, 31, tzinfo=UTC)
    assert tables["customer_policies"].to_pylist()[0]["history"] == "12"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"defaults": {}}, "unknown key 'defaults'"),
        ({"default": {"history": "forever"}}, "default.history: 'forever' is not valid"),
        ({"default": {"history": -3}}, "default.history: -3 is negative"),
        ({"default": {"history": True}}, "default.history"),
        ({"default": {"continuous": "yes"}}, "default.continuous: 'yes' is not valid"),
        ({"default": {"history": 12, "contiuous": True}}, "unknown key 'contiuous'"),
        ({"customers": {"vendor": "bayou"}}, "customers must be a list"),
        ({"customers": [{"customer_id": "1"}]}, "customers[0]: missing key 'vendor'"),
        ({"customers": [{"vendor": "bayou"}]}, "customers[0]: missing key 'customer_id'"),
        ({"customers": [{"vendor": "nope", "customer_id": "1"}]}, "unknown vendor 'nope'"),
        ({"customers": [{"vendor": "bayou", "customer_id": "1", "history": "x"}]}, "customers[0].history"),
        ({"customers": [{"vendor": "bayou", "customer_id": "1"}, {"vendor": "bayou", "customer_id": 1}]},
         "listed twice"),
        ({"unlocked_bills": [{"vendor": "bayou"}]}, "unlocked_bills[0]: missing key 'bill_id'"),
        ({"unlocked_bills": [{"vendor": "bayou", "bill_id": None}]}, "unlocked_bills[0].bill_id"),
        ([1, 2], "top level must be a mapping"),
    ],
)
def test_malformed_policy_fails_naming_the_key(data, message):
    with pytest.raises(PolicyError, match=None) as info:
        parse_policy(data, known_vendors=["bayou"])
    assert message in str(info.value)


def test_malformed_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "policy.yml"
    bad.write_text("default: [history: 12\n")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy(tmp_path / "missing.yml")
