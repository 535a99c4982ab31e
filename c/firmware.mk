# Framewire's C library on microcontrollers, and its fuzzing, speed and differential
# checks. Included by the top-level Makefile; every path is relative to the repository.
#
#   make c-size         code size per part on Cortex-M0+/M3/M4 (-Os) and struct sizes
#   make c-qemu         the vectors on the emulated Cortex-M3 (mps2-an385) vs the host
#   make c-serial-demo  Python <-> the emulated board over a pseudo-terminal serial line
#   make c-portability  16-bit AVR build (-Werror), 32-bit and big-endian host builds
#   make fuzz           libFuzzer on the decoder and the session (FUZZ_MINUTES each)
#   make c-bench        decode/encode throughput against memcpy and a bare CRC pass
#   make c-amalgamation one framewire.c + framewire.h, checked with the vectors
#   make c-diff         the C and the Python decoders on the same random inputs

FW_BUILD    := build/c-fw
FW_LIB_SRC   = $(wildcard c/src/*.c)
FW_LIB_HDR   = $(wildcard c/include/*.h c/src/*.h)
FW_SYS_PY   ?= python3
FW_WARN     := -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
FW_DEFS     ?=
FW_HOST_CC  ?= gcc
FW_ARM_CC   ?= arm-none-eabi-gcc
FW_M3       := -mcpu=cortex-m3 -mthumb
FW_ARM_LD   := -nostartfiles --specs=nano.specs -T c/firmware/mps2-an385.ld -Wl,--gc-sections
FW_QEMU     := qemu-system-arm -M mps2-an385 -display none -monitor none \
               -semihosting-config enable=on,target=native
FW_QEMU_LIMIT ?= 300
FW_BOARD_SRC := c/firmware/startup.c c/firmware/board.c
FW_TABLE    := $(FW_BUILD)/vector_table.c
FW_RUNNER   := c/firmware/runner.c $(FW_TABLE)

FUZZ_MINUTES ?= 5
FUZZ_SECONDS_SHORT ?= 10
DIFF_INPUTS ?= 1000000
DIFF_SECONDS_SHORT ?= 20

LINT_PATHS += c/tools c/fuzz
TYPE_PATHS += c/tools c/fuzz

TEST_STEPS += c-qemu c-size c-amalgamation c-portability c-fuzz-short c-diff-short

.PHONY: c-size c-qemu c-vectors-host c-serial-demo c-portability fuzz c-fuzz-short c-bench \
        c-amalgamation c-diff c-diff-short c-firmware

$(FW_TABLE): c/tools/gen_vectors.py c/firmware/vector_table.h $(wildcard vectors/*.json)
	@mkdir -p $(@D)
	$(FW_SYS_PY) c/tools/gen_vectors.py vectors $@

# --- B. the vectors on the host and on the emulated board ----------------------------

$(FW_BUILD)/host-runner: c/firmware/host_main.c $(FW_RUNNER) $(FW_LIB_SRC) $(FW_LIB_HDR)
	$(FW_HOST_CC) $(FW_WARN) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all $(FW_DEFS) \
	  -Ic/include -Ic/firmware c/firmware/host_main.c $(FW_RUNNER) $(FW_LIB_SRC) -o $@

$(FW_BUILD)/vectors.elf: c/firmware/vectors_main.c $(FW_RUNNER) $(FW_BOARD_SRC) $(FW_LIB_SRC) \
                         $(FW_LIB_HDR) c/firmware/board.h c/firmware/mps2-an385.ld
	@mkdir -p $(FW_BUILD)/stack-usage
	$(FW_ARM_CC) $(FW_M3) $(FW_WARN) -Os -g -ffunction-sections -fdata-sections \
	  -fstack-usage -fcallgraph-info=su -dumpdir $(FW_BUILD)/stack-usage/ $(FW_DEFS) \
	  -Ic/include -Ic/firmware c/firmware/vectors_main.c $(FW_RUNNER) $(FW_BOARD_SRC) \
	  $(FW_LIB_SRC) $(FW_ARM_LD) -o $@

$(FW_BUILD)/echo-codec.elf $(FW_BUILD)/echo-session.elf: $(FW_BUILD)/echo-%.elf: c/firmware/echo.c \
                         $(FW_BOARD_SRC) $(FW_LIB_SRC) $(FW_LIB_HDR) c/firmware/board.h
	@mkdir -p $(@D)
	$(FW_ARM_CC) $(FW_M3) $(FW_WARN) -Os -g -ffunction-sections -fdata-sections \
	  $(if $(filter session,$*),-DECHO_SESSION) -Ic/include -Ic/firmware c/firmware/echo.c \
	  $(FW_BOARD_SRC) $(FW_LIB_SRC) $(FW_ARM_LD) -o $@

c-firmware: $(FW_BUILD)/vectors.elf $(FW_BUILD)/echo-codec.elf $(FW_BUILD)/echo-session.elf ## Build the firmware images (vectors, echo) for mps2-an385

c-vectors-host: $(FW_BUILD)/host-runner ## The vector runner built for the host (gcc, ASan+UBSan)
	$(FW_BUILD)/host-runner

c-qemu: $(FW_BUILD)/host-runner $(FW_BUILD)/vectors.elf ## The vectors on the emulated Cortex-M3; counts must equal the host's
	@$(FW_BUILD)/host-runner | tee $(FW_BUILD)/host-runner.out
	@timeout $(FW_QEMU_LIMIT) $(FW_QEMU) -kernel $(FW_BUILD)/vectors.elf 2>&1 | tee $(FW_BUILD)/qemu-runner.out
	@host=$$(grep -E '^vectors on the host: ' $(FW_BUILD)/host-runner.out | sed 's/.*: //'); \
	  board=$$(grep -E '^vectors on the board: ' $(FW_BUILD)/qemu-runner.out | sed 's/.*: //'); \
	  if [ -z "$$board" ] || [ "$$host" != "$$board" ]; then \
	    echo "c-qemu: the board's counts ($$board) differ from the host's ($$host)"; exit 1; fi; \
	  echo "c-qemu: board and host agree: $$board"
	$(FW_SYS_PY) c/tools/stack_report.py $(FW_BUILD)/stack-usage

# --- A. sizes -----------------------------------------------------------------------------

c-size: ## Code and RAM size per part on Cortex-M0+/M3/M4 at -Os, and the state structs' sizes
	$(FW_SYS_PY) c/tools/size_report.py --cc $(FW_ARM_CC) --build $(FW_BUILD)/size

# --- E. fuzzing ------------------------------------------------------------------------------

FW_FUZZ    := $(FW_BUILD)/fuzz
FW_FUZZ_CC ?= clang
FW_FUZZERS := $(FW_FUZZ)/fuzz_decoder $(FW_FUZZ)/fuzz_session

$(FW_FUZZ)/fuzz_%: c/fuzz/fuzz_%.c c/fuzz/fuzz_common.h $(FW_LIB_SRC) $(FW_LIB_HDR)
	@mkdir -p $(@D)
	$(FW_FUZZ_CC) -std=c99 -g -O1 -Wall -Wextra -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=all -Ic/include $< $(FW_LIB_SRC) -o $@

$(FW_FUZZ)/seeds.stamp: c/fuzz/seeds.py $(wildcard vectors/*.json)
	@mkdir -p $(@D)
	$(FW_SYS_PY) c/fuzz/seeds.py vectors $(FW_FUZZ)/seed-decoder $(FW_FUZZ)/seed-session
	@touch $@

# Each harness runs for $(1) seconds from its corpus and the vectors' seeds; a finding
# stops the run with the input saved as $(FW_FUZZ)/crash-* (replay: the harness + file).
define fw_fuzz_run
	@for name in decoder session; do \
	  mkdir -p $(FW_FUZZ)/corpus-$$name; \
	  echo "==> fuzz_$$name for $(1) s"; \
	  if ! $(FW_FUZZ)/fuzz_$$name -max_total_time=$(1) -print_final_stats=1 -timeout=10 \
	      -artifact_prefix=$(FW_FUZZ)/ $(FW_FUZZ)/corpus-$$name $(FW_FUZZ)/seed-$$name \
	      > $(FW_FUZZ)/$$name.log 2>&1; then \
	    tail -n 60 $(FW_FUZZ)/$$name.log; echo "fuzz_$$name: a finding (above)"; exit 1; fi; \
	  grep -E '^#[0-9]+[[:space:]]+DONE' $(FW_FUZZ)/$$name.log; \
	  grep -E '^stat::number_of_executed_units' $(FW_FUZZ)/$$name.log; \
	done
endef

fuzz: $(FW_FUZZERS) $(FW_FUZZ)/seeds.stamp ## libFuzzer on the decoder and the session, FUZZ_MINUTES each (default 5)
	$(call fw_fuzz_run,$$(( $(FUZZ_MINUTES) * 60 )))

c-fuzz-short: $(FW_FUZZERS) $(FW_FUZZ)/seeds.stamp ## A short fuzzing pass (FUZZ_SECONDS_SHORT per harness)
	$(call fw_fuzz_run,$(FUZZ_SECONDS_SHORT))

# --- H. differential check against the Python reference ------------------------------------

$(FW_BUILD)/libframewire-diff.so: $(FW_LIB_SRC) $(FW_LIB_HDR)
	@mkdir -p $(@D)
	$(FW_HOST_CC) -std=c99 -O2 -shared -fPIC -Ic/include $(FW_LIB_SRC) -o $@

c-diff: venv $(FW_BUILD)/libframewire-diff.so ## C vs Python decoders and sessions on DIFF_INPUTS random inputs (default 1,000,000)
	$(PY) c/tools/diff.py $(FW_BUILD)/libframewire-diff.so --inputs $(DIFF_INPUTS)

c-diff-short: venv $(FW_BUILD)/libframewire-diff.so ## The differential check for DIFF_SECONDS_SHORT seconds
	$(PY) c/tools/diff.py $(FW_BUILD)/libframewire-diff.so --seconds $(DIFF_SECONDS_SHORT) --seed $$RANDOM

# --- G. amalgamation -----------------------------------------------------------------------------

FW_AMALGAMATION := $(FW_BUILD)/amalgamation

$(FW_AMALGAMATION)/framewire.c: c/tools/amalgamate.py $(FW_LIB_SRC) $(FW_LIB_HDR)
	$(FW_SYS_PY) c/tools/amalgamate.py $(FW_AMALGAMATION)

$(FW_BUILD)/amalgamation-runner: $(FW_AMALGAMATION)/framewire.c c/firmware/host_main.c $(FW_RUNNER)
	$(FW_HOST_CC) $(FW_WARN) -Werror -O1 -g -I$(FW_AMALGAMATION) -Ic/firmware \
	  c/firmware/host_main.c $(FW_RUNNER) $(FW_AMALGAMATION)/framewire.c -o $@

c-amalgamation: $(FW_BUILD)/amalgamation-runner ## framewire.c + framewire.h in one piece each, checked with the vectors
	$(FW_ARM_CC) -mcpu=cortex-m0plus -mthumb -Os $(FW_WARN) -Werror -c $(FW_AMALGAMATION)/framewire.c \
	  -o $(FW_AMALGAMATION)/framewire-m0plus.o
	$(FW_BUILD)/amalgamation-runner | sed 's/^vectors on the host/vectors on the host, amalgamated library/'

# --- F. speed --------------------------------------------------------------------------------------

FW_BENCH_FLAGS ?= -O2 -DFW_CRC_HW_RUNTIME

$(FW_BUILD)/bench: c/bench/bench.c $(FW_LIB_SRC) $(FW_LIB_HDR)
	@mkdir -p $(@D)
	$(FW_HOST_CC) -std=c99 $(FW_BENCH_FLAGS) -Wall -Wextra -Ic/include $< $(FW_LIB_SRC) -o $@

c-bench: $(FW_BUILD)/bench ## Decode/encode throughput beside memcpy and a bare CRC-32C pass (not a timed test)
	$(FW_BUILD)/bench

# --- D. portability ----------------------------------------------------------------------------

FW_AVR_CC ?= avr-gcc
FW_BE_CC  ?= powerpc-linux-gnu-gcc
# A cross compiler rather than gcc -m32: Debian's gcc-multilib cannot be installed beside
# the PowerPC cross compiler.
FW_I386_CC ?= i686-linux-gnu-gcc
FW_BE_RUN ?= qemu-ppc

c-portability: $(FW_TABLE) ## AVR (16-bit) build at -Werror and length checks under simavr; the vectors on i386, big-endian PowerPC, with a truncation check
	@mkdir -p $(FW_BUILD)/avr
	@for source in $(FW_LIB_SRC); do \
	  $(FW_AVR_CC) -mmcu=atmega1284p -Os $(FW_WARN) -Werror -Ic/include -c $$source \
	    -o $(FW_BUILD)/avr/$$(basename $$source .c).o || exit 1; \
	done; echo "c-portability: the library builds for AVR (16-bit int and size_t) with no warning"
	$(FW_I386_CC) -static $(FW_WARN) -O1 -Ic/include -Ic/firmware c/firmware/host_main.c $(FW_RUNNER) \
	  $(FW_LIB_SRC) -o $(FW_BUILD)/runner-m32
	$(FW_AVR_CC) -mmcu=atmega1284p -Os $(FW_WARN) -Werror -Ic/include c/firmware/avr_lengths.c \
	  $(FW_LIB_SRC) -o $(FW_BUILD)/avr-lengths.elf
	@timeout 60 simavr -m atmega1284p -f 16000000 $(FW_BUILD)/avr-lengths.elf 2>&1 \
	  | tr -d '\033' | sed 's/\[[0-9;]*m//g' | tee $(FW_BUILD)/avr-lengths.out | grep -a 'FAIL\|avr lengths'
	@grep -aqE '^avr lengths: [0-9]+ passed, 0 failed' $(FW_BUILD)/avr-lengths.out
	$(FW_BUILD)/runner-m32 | sed 's/^vectors on the host/vectors on i386/'
	clang -std=c99 -O1 -fsanitize=implicit-integer-truncation -fno-sanitize-recover=all \
	  -Ic/include -Ic/firmware c/firmware/host_main.c $(FW_RUNNER) $(FW_LIB_SRC) \
	  -o $(FW_BUILD)/runner-truncation
	$(FW_BUILD)/runner-truncation | sed 's/^vectors on the host/vectors with every implicit narrowing checked/'
	$(FW_BE_CC) -static $(FW_WARN) -O1 -Ic/include -Ic/firmware c/firmware/host_main.c $(FW_RUNNER) \
	  $(FW_LIB_SRC) -o $(FW_BUILD)/runner-ppc
	$(FW_BE_RUN) $(FW_BUILD)/runner-ppc | sed 's/^vectors on the host/vectors on big-endian PowerPC (qemu-user)/'

# --- C. the live serial exchange -----------------------------------------------------------------

FW_SERIAL_LIMIT ?= 300

c-serial-demo: venv $(FW_BUILD)/echo-codec.elf $(FW_BUILD)/echo-session.elf ## Python <-> the C library on an emulated board over a pty serial line, damaged both ways
	timeout $(FW_SERIAL_LIMIT) $(PY) -m pytest -v tests/c/test_c_firmware_serial.py
