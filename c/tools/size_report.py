"""Code and RAM size of each part of the C library on Cortex-M0+, M3 and M4 at -Os.

Why: a firmware engineer pays for what the linker keeps, not for a source file. So each
part is measured as a program would carry it: a stub that takes the addresses of the
part's functions is linked with the library (each function in its own section,
``--gc-sections``), and the sections kept are summed from the linker map, the library's
own apart from what the C runtime adds (libgcc's division, newlib's memcpy/memset).
The state structs' sizes come from the same compiler: the stub defines arrays of
``sizeof`` bytes, which ``nm -S`` reports.

Usage: python3 c/tools/size_report.py [--cc arm-none-eabi-gcc] [--build DIR]
(run from the repository root).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import stack_report

CPUS = {
    "Cortex-M0+": ["-mcpu=cortex-m0plus", "-mthumb"],
    "Cortex-M3": ["-mcpu=cortex-m3", "-mthumb"],
    "Cortex-M4": ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft"],
}

DECODER = ["fw_decoder_init", "fw_decoder_feed", "fw_decoder_end"]
ENCODER = ["fw_encode_message", "fw_encode_bound"]
CODEC = [*DECODER, *ENCODER, "fw_cobs_encode", "fw_crc32c_update"]
SESSION = [
    "fw_session_config_default",
    "fw_session_init",
    "fw_session_feed",
    "fw_session_end_of_input",
    "fw_session_tick",
    "fw_session_timeout",
    "fw_session_output",
    "fw_session_output_done",
    "fw_session_send",
    "fw_session_ping",
    "fw_session_end",
    "fw_session_abort",
]
NAMES = ["fw_error_name"]
NO_NAMES = ["-DFW_NO_ERROR_NAMES"]


@dataclass(frozen=True)
class Part:
    """One row of the table: the functions a program uses, and the build's macros."""

    name: str
    functions: list[str]
    defines: list[str]


PARTS = [
    Part("CRC-32C, 64-byte table (default)", ["fw_crc32c_update"], []),
    Part("CRC-32C, bitwise (FW_CRC_BITWISE)", ["fw_crc32c_update"], ["-DFW_CRC_BITWISE"]),
    Part("CRC-32C, 1 KiB table (FW_CRC_TABLE)", ["fw_crc32c_update"], ["-DFW_CRC_TABLE"]),
    Part("COBS encoder", ["fw_cobs_encode"], []),
    Part("decoder, both framings (COBS, CRC inside)", DECODER, NO_NAMES),
    Part("encoder, both framings", ENCODER, NO_NAMES),
    Part("codec: all of the above, no error names", CODEC, NO_NAMES),
    Part("codec with error names", [*CODEC, *NAMES], []),
    Part("codec + session, no error names", [*CODEC, *SESSION], NO_NAMES),
    Part("codec + session with error names", [*CODEC, *SESSION, *NAMES], []),
]

ENTRIES = ["fw_decoder_feed", "fw_encode_message", "fw_session_feed", "fw_session_send"]

STRUCTS = ["fw_decoder", "fw_session", "fw_event", "fw_session_config"]

# Targets of the issue, on Cortex-M0+ (bytes of code).
TARGETS = {
    "codec: all of the above, no error names": 2560,
    "codec with error names": 3584,
    "codec + session, no error names": 5120,
}
STRUCT_TARGETS = {"fw_decoder": 64, "fw_session": 128}

_MAP_LINE = re.compile(r"^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)$")


@dataclass
class Size:
    text: int = 0  # code and constant data
    data: int = 0  # initialised RAM (also stored in flash)
    bss: int = 0  # zeroed RAM
    runtime: int = 0  # code and constants from libgcc and the C library


def run(command: list[str]) -> str:
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)}\n{done.stderr}")
    return done.stdout


def compile_library(cc: str, flags: list[str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    objects = []
    for source in sorted(Path("c/src").glob("*.c")):
        target = folder / f"{source.stem}.o"
        graph = ["-fcallgraph-info=su", "-dumpdir", f"{folder}/"]
        run([cc, *flags, *graph, "-c", str(source), "-o", str(target)])
        objects.append(target)
    return objects


def stub_source(functions: list[str]) -> str:
    keep = "".join(f"    (uintptr_t)&{name},\n" for name in functions)
    return (
        '#include "framewire.h"\n'
        f"const uintptr_t fw_size_keep[] = {{\n{keep}    0}};\n"
        "void fw_size_entry(void) {}\n"
    )


def parse_map(text: str, library: Path) -> Size:
    """Sum the input sections the linker kept, by kind and by origin."""
    size = Size()
    body = text.split("Linker script and memory map", 1)[1]
    lines = body.splitlines()
    joined: list[str] = []
    for line in lines:  # a long section name puts its address on the next line
        if joined and re.match(r"^ \S+$", joined[-1]) and line.startswith("                "):
            joined[-1] += line
        else:
            joined.append(line)
    for line in joined:
        match = _MAP_LINE.match(line)
        if match is None:
            continue
        section, bytes_, origin = match.group(1), int(match.group(3), 16), match.group(4)
        if bytes_ == 0 or not origin.endswith((".o", ")")):
            continue
        ours = Path(origin).parent == library
        if section.startswith((".text", ".rodata")):
            if ours:
                size.text += bytes_
            elif "(" in origin:  # an archive member: libgcc.a(...), libc_nano.a(...)
                size.runtime += bytes_
        elif section.startswith(".data") and ours:
            size.data += bytes_
        elif section.startswith((".bss", "COMMON")) and ours:
            size.bss += bytes_
    return size


def library_folder(build: Path, cpu_name: str, defines: list[str]) -> Path:
    """One build of the library per target and set of macros, shared by the parts."""
    variant = "-".join(define.removeprefix("-D").lower() for define in defines) or "default"
    return build / cpu_name.lower().replace("+", "plus") / f"lib-{variant}"


def measure(cc: str, cpu: list[str], part: Part, folder: Path, library: Path) -> Size:
    flags = [*cpu, "-std=c99", "-Os", "-ffunction-sections", "-fdata-sections", "-Ic/include"]
    flags += part.defines
    objects = sorted(library.glob("*.o"))
    if not objects:
        objects = compile_library(cc, flags, library)
    folder.mkdir(parents=True, exist_ok=True)
    stub = folder / "stub.c"
    stub.write_text(stub_source(part.functions))
    run([cc, *flags, "-c", str(stub), "-o", str(folder / "stub.o")])
    map_file = folder / "part.map"
    run(
        [
            *(cc, *cpu, "-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections"),
            *("-Wl,-e,fw_size_entry", "-Wl,-u,fw_size_keep", f"-Wl,-Map={map_file}"),
            *(str(folder / "stub.o"), *map(str, objects), "-o", str(folder / "part.elf")),
        ]
    )
    return parse_map(map_file.read_text(), library)


def struct_sizes(cc: str, cpu: list[str], folder: Path) -> dict[str, int]:
    source = folder / "sizes.c"
    source.write_text(
        '#include "framewire.h"\n'
        + "".join(f"char fw_sizeof_{name}[sizeof({name})];\n" for name in STRUCTS)
    )
    obj = folder / "sizes.o"
    run([cc, *cpu, "-std=c99", "-fno-common", "-Ic/include", "-c", str(source), "-o", str(obj)])
    nm = cc.replace("gcc", "nm")
    sizes = {}
    for line in run([nm, "-S", str(obj)]).splitlines():
        match = re.fullmatch(r"\S+ ([0-9a-f]+) \S fw_sizeof_(\w+)", line)
        if match:  # "address size kind name"
            sizes[match.group(2)] = int(match.group(1), 16)
    return sizes


def cell(size: Size) -> str:
    return f"{size.text:,} / {size.data} / {size.bss} (+{size.runtime})"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cc", default="arm-none-eabi-gcc")
    parser.add_argument("--build", type=Path, default=Path("build/c-fw/size"))
    args = parser.parse_args(argv)
    shutil.rmtree(args.build, ignore_errors=True)  # every figure from this run's build
    results: dict[str, dict[str, Size]] = {}
    for cpu_name, cpu in CPUS.items():
        for index, part in enumerate(PARTS):
            folder = args.build / cpu_name.lower().replace("+", "plus") / f"part-{index}"
            library = library_folder(args.build, cpu_name, part.defines)
            size = measure(args.cc, cpu, part, folder, library)
            results.setdefault(part.name, {})[cpu_name] = size
    print("Bytes at -Os, text / data / bss (+ libgcc and newlib-nano helpers the part pulls in)")
    print()
    print("| part | " + " | ".join(CPUS) + " |")
    print("|---|" + "---|" * len(CPUS))
    for part in PARTS:
        row = results[part.name]
        print(f"| {part.name} | " + " | ".join(cell(row[cpu]) for cpu in CPUS) + " |")
    print()
    print("| struct | " + " | ".join(CPUS) + " |")
    print("|---|" + "---|" * len(CPUS))
    sizes = {cpu: struct_sizes(args.cc, flags, args.build) for cpu, flags in CPUS.items()}
    for name in STRUCTS:
        print(f"| `{name}` | " + " | ".join(str(sizes[cpu][name]) for cpu in CPUS) + " |")
    print()
    print("Worst stack depth by call graph, codec + session (library frames only):")
    stack_limit, deepest = 256, 0
    for cpu_name in CPUS:
        folder = library_folder(args.build, cpu_name, PARTS[-1].defines)
        frames, calls, _ = stack_report.read_graph(folder)
        depths = {entry: stack_report.worst(frames, calls, entry)[0] for entry in ENTRIES}
        entry = max(depths, key=lambda name: depths[name])
        print(f"- {cpu_name}: {depths[entry]} B, from {entry}")
        deepest = depths[entry] if cpu_name == "Cortex-M0+" else deepest
    print()
    print("Targets on Cortex-M0+ (library text, helpers not counted):")
    for name, limit in TARGETS.items():
        text = results[name]["Cortex-M0+"].text
        verdict = "met" if text <= limit else "NOT met"
        print(f"- {name}: {text:,} B <= {limit:,} B: {verdict}")
    for name, limit in STRUCT_TARGETS.items():
        got = sizes["Cortex-M0+"][name]
        print(f"- sizeof({name}): {got} B <= {limit} B: {'met' if got <= limit else 'NOT met'}")
    verdict = "met" if deepest <= stack_limit else "NOT met"
    print(f"- worst stack depth: {deepest} B <= {stack_limit} B: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
