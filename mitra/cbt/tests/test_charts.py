from mitra.cbt.charts import Series, line_chart


def test_labels_are_escaped_and_every_point_is_drawn():
    svg = line_chart("<b>t</b>", ["a", "b", "c"],
                     [Series("Peak <x>", [80, None, 40]), Series("After", [10, 20, 30])],
                     y_max=100, y_label="SUDS 0-100")
    assert "<b>" not in svg and "&lt;b&gt;t&lt;/b&gt;" in svg
    assert "Peak &lt;x&gt;" in svg
    # Series 1 has two points (one missing), series 2 three; plus one legend marker each.
    assert svg.count("<circle") == 2 + 1
    assert svg.count("<rect") == 3 + 1
    assert 'role="img"' in svg and "style=" not in svg
