"""Histogram bins of a round width, labelled to that width's decimals (expected bins by hand)."""

from mlops.utils.observability.bins import histogram


def test_tenths_of_a_minute_with_the_empty_bin_kept():
    # 6.1 is in 6.1–6.2 (float division would put 6.1 - 5.8 at 2.9999 bins, in 6.0–6.1)
    labels, counts = histogram([6.1, 5.9, 6.4, 5.8, 6.0, 6.2])
    assert labels == ['5.8–5.9', '5.9–6.0', '6.0–6.1', '6.1–6.2', '6.2–6.3', '6.3–6.4', '6.4–6.5']
    assert counts == [1, 1, 1, 1, 1, 0, 1]


def test_wide_spread_gets_a_wider_round_width_and_at_most_twelve_bins():
    labels, counts = histogram([5.0, 7.4, 9.9, 14.95])  # spread 9.95: 1-minute bins
    assert labels == [f'{m}–{m + 1}' for m in range(5, 15)] and counts == [1, 0, 1, 0, 1, 0, 0, 0, 0, 1]
    assert histogram([12, 250, 90]) == (
        ['0–50', '50–100', '100–150', '150–200', '200–250', '250–300'],
        [1, 1, 0, 0, 0, 1],
    )


def test_one_value_or_none():
    assert histogram([3.2, 3.2]) == (['3.2–3.3'], [2])
    assert histogram([]) == ([], [])
