"""The load run's own arithmetic: what it says about the machine it ran on."""

from bench.load import calibration_ms, cpu_ticks, steal_percent


def test_steal_is_the_share_the_hypervisor_took_between_two_readings():
    before = [100, 0, 50, 800, 0, 0, 0, 50]
    after = [160, 0, 70, 880, 0, 0, 0, 90]  # 200 ticks in all, 40 of them stolen

    assert steal_percent(before, after) == 20.0
    assert steal_percent(before, before) == 0.0


def test_the_machine_readings_are_real():
    ticks = cpu_ticks()
    assert len(ticks) == 8 and sum(ticks) > 0
    assert calibration_ms() > 0
