import gc

from ui.shell import gui_gc


def test_collector_takes_over_from_automatic_gc(qtbot):
    collector = gui_gc.install()
    assert not gc.isenabled()
    assert gui_gc.install() is collector  # idempotent

    class Cycle:
        pass

    for _ in range(collector.thresholds[0] + 10):
        a, b = Cycle(), Cycle()
        a.other, b.other = b, a
    assert gc.get_count()[0] > collector.thresholds[0]
    collector.collect_if_due()
    assert gc.get_count()[0] < collector.thresholds[0]
