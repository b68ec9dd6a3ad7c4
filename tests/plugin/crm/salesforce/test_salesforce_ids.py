"""Salesforce record Ids: the 15 → 18 character checksum, and refusing anything else.

How the suffix is built (Salesforce's documented algorithm): split the 15-character Id into three
chunks of five; in each chunk, character i (from the left) sets bit i when it is an uppercase
letter A-Z; the 5-bit number indexes "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345".
"""
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.crm.salesforce.ids import InvalidSalesforceId, checksum_suffix, to_18


def test_documented_example_gets_its_18_character_form():
    # "001A0" -> A at position 3 -> 8 -> "I"; "00000" -> 0 -> "A"; "6Vm9r" -> V at 1 -> 2 -> "C"
    assert to_18("001A0000006Vm9r") == "001A0000006Vm9rIAC"


def test_second_worked_example():
    # "00150" -> "A"; "00000" -> "A"; "Gv7qJ" -> G at 0 and J at 4 -> 1 + 16 = 17 -> "R"
    assert to_18("0015000000Gv7qJ") == "0015000000Gv7qJAAR"


@pytest.mark.parametrize(
    ("id15", "suffix"),
    [
        ("000000000000000", "AAA"),
        ("aaaaaaaaaaaaaaa", "AAA"),  # lowercase letters set no bits
        ("A00000000000000", "BAA"),  # bit 0 of the first chunk
        ("0000Z0000000000", "QAA"),  # bit 4 of the first chunk: 16
        ("00000000000000Z", "AAQ"),
        ("AAAAAAAAAAAAAAA", "555"),  # all five bits: 31, the last character of the alphabet
    ],
)
def test_each_chunk_encodes_the_case_of_its_five_characters(id15, suffix):
    assert checksum_suffix(id15) == suffix


def test_correct_18_character_id_is_kept_and_its_suffix_case_does_not_matter():
    assert to_18("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC"
    assert to_18("001A0000006Vm9riac") == "001A0000006Vm9rIAC"


@pytest.mark.parametrize(
    "value",
    [
        "001A0000006Vm9rIAD",  # wrong last character
        "001A0000006Vm9rAAC",
        "001a0000006Vm9rIAC",  # case of the Id changed: the suffix now disagrees
        "001A0000006VM9RIAC",
    ],
)
def test_wrong_checksum_is_rejected(value):
    with pytest.raises(InvalidSalesforceId, match="checksum"):
        to_18(value)


def test_wrong_prefix_is_rejected():
    with pytest.raises(InvalidSalesforceId, match="006"):
        to_18("001A0000006Vm9r", prefix="006")
    with pytest.raises(InvalidSalesforceId):
        to_18("001A0000006Vm9rIAC", prefix="00D")
    assert to_18("006A0000006Vm9r", prefix="006").startswith("006A0000006Vm9r")


@pytest.mark.parametrize(
    "value",
    [
        None,
        1,
        123456789012345,
        1.5,
        True,
        b"001A0000006Vm9r",
        ["001A0000006Vm9r"],
        {"Id": "001A0000006Vm9r"},
        "",
        "001A0000006Vm9",  # 14
        "001A0000006Vm9rI",  # 16
        "001A0000006Vm9rIA",  # 17
        "001A0000006Vm9rIAC0",  # 19
        "001A0000006Vm9r\n",  # 16 with a newline a careless regex lets through
        "001A0000006Vm9rIAC\n",
        " 001A0000006Vm9r",
        "' or 1=1 --    ",
        "006' OR '1'='1'",
        "001A000000%Vm9r",
        "001A0000006Vm9r;DROP",
        "001A0000006Vm9é",  # 15 characters, one of them not ASCII
        "００１A0000006Vm9r",  # full-width digits are digits to str.isalnum, not to Salesforce
        "001A0000006Vm9\u0000",
        "x" * 10_000,
    ],
)
def test_hostile_input_is_rejected(value):
    with pytest.raises(InvalidSalesforceId) as raised:
        to_18(value)
    assert raised.value.value == value
    assert isinstance(raised.value, ValueError)


salesforce_ids = st.text(string.ascii_letters + string.digits, min_size=15, max_size=15)


@settings(max_examples=200, database=None)
@given(salesforce_ids)
def test_18_character_form_is_stable_and_accepted_back(id15):
    id18 = to_18(id15)
    assert id18[:15] == id15 and len(id18) == 18
    assert to_18(id18) == id18
    assert to_18(id18[:15] + id18[15:].lower()) == id18


@settings(max_examples=200, database=None)
@given(salesforce_ids, st.integers(0, 14))
def test_changing_the_case_of_a_letter_is_caught_by_the_suffix(id15, position):
    if not id15[position].isalpha():
        id15 = id15[:position] + "q" + id15[position + 1 :]
    id18 = to_18(id15)
    flipped = id18[:position] + id18[position].swapcase() + id18[position + 1 :]
    with pytest.raises(InvalidSalesforceId):
        to_18(flipped)
