"""The machine a benchmark ran on, written next to its numbers: they mean little without it."""

import os
import platform
import subprocess


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _postgres_version() -> str:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    except Exception as exc:  # the machine description must not sink the benchmark
        return f"unknown ({exc.__class__.__name__})"


def _other_processes() -> int | None:
    """Processes running right now besides this one: how shared the machine was."""
    try:
        out = subprocess.run(
            ["ps", "-e", "-o", "stat="], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return sum(1 for stat in out.stdout.split() if stat.startswith("R")) - 1


def describe() -> dict:
    import django

    load1, load5, load15 = os.getloadavg()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": _postgres_version(),
        "load_average_1_5_15_min": [round(load1, 2), round(load5, 2), round(load15, 2)],
        "runnable_processes_besides_this": _other_processes(),
    }
