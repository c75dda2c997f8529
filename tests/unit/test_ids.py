from chalicelib.models.ids import new_id


def test_ids_are_unique_sortable_and_increase_within_one_millisecond():
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(len(i) == 26 for i in ids)
