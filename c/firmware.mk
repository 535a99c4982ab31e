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

TEST_STEPS += c-qemu

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
	@timeout $(FW_QEMU_LIMIT) $(FW_QEMU) -kernel $(FW_BUILD)/vectors.elf | tee $(FW_BUILD)/qemu-runner.out
	@host=$$(grep -E '^vectors on the host: ' $(FW_BUILD)/host-runner.out | sed 's/.*: //'); \
	  board=$$(grep -E '^vectors on the board: ' $(FW_BUILD)/qemu-runner.out | sed 's/.*: //'); \
	  if [ -z "$$board" ] || [ "$$host" != "$$board" ]; then \
	    echo "c-qemu: the board's counts ($$board) differ from the host's ($$host)"; exit 1; fi; \
	  echo "c-qemu: board and host agree: $$board"
	$(FW_SYS_PY) c/tools/stack_report.py $(FW_BUILD)/stack-usage

# --- A. sizes -----------------------------------------------------------------------------

c-size: ## Code and RAM size per part on Cortex-M0+/M3/M4 at -Os, and the state structs' sizes
	$(FW_SYS_PY) c/tools/size_report.py --cc $(FW_ARM_CC) --build $(FW_BUILD)/size
