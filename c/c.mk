# Framewire C (c/): the library, its tests and checks, the conformance adapter and echo
# peer. Included by the top-level Makefile; every build lives under c/build/.

C_BUILD   := c/build
C_RUNNER  := $(abspath $(BIN)/framewire)
C_JOBS    := 2
C_VALGRIND := valgrind;--error-exitcode=99;--leak-check=full;--errors-for-leak-kinds=definite,indirect;--quiet
# cmake -S c -B DIR OPTIONS..., quietly unless it fails
c_configure = cmake -S c -B $(1) -DFRAMEWIRE_RUNNER=$(C_RUNNER) $(2) > $(1).configure.log 2>&1 \
	|| { cat $(1).configure.log; exit 1; }

.PHONY: c c-test c-clang c-asan c-valgrind c-cppcheck c-conformance c-install

c: venv ## Build the C library, its tests, the adapter and echo peer (gcc, strict warnings)
	@mkdir -p $(C_BUILD)
	@$(call c_configure,$(C_BUILD)/gcc,-DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo)
	cmake --build $(C_BUILD)/gcc -j$(C_JOBS) -- --no-print-directory

c-test: c ## C: ctest over the gcc build (unit tests, the example, every vector through the adapter)
	cd $(C_BUILD)/gcc && ctest --output-on-failure -j$(C_JOBS)

c-clang: venv ## C: build the library (freestanding too), tests and tools with clang (strict warnings), run the unit tests
	@mkdir -p $(C_BUILD)
	@$(call c_configure,$(C_BUILD)/clang,-DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DFW_VARIANTS=OFF)
	cmake --build $(C_BUILD)/clang -j$(C_JOBS) -- --no-print-directory
	@# the vectors and the example run in the gcc, sanitizer and valgrind builds
	cd $(C_BUILD)/clang && ctest --output-on-failure -j$(C_JOBS) -E '^(vectors|example_client)$$'
	@# the configuration macros' variants, compiled with clang's warnings
	for v in FW_NO_SESSION FW_NO_ERROR_NAMES FW_CRC_BITWISE FW_CRC_TABLE FW_CRC_HW_RUNTIME; do \
	  clang -std=c99 -D$$v -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow \
	    -Wcast-qual -Werror -fsyntax-only -Ic/include -Ic/src c/src/*.c || exit 1; done
	@# FW_CRC_HW on ARMv8 with the CRC extension: the instruction is used, no table linked
	@# in (compiled, not run)
	clang --target=aarch64-linux-gnu -march=armv8-a+crc -DFW_CRC_HW -std=c99 -Wall -Wextra \
	  -Wpedantic -Wconversion -Wsign-conversion -Werror -Ic/include -Ic/src \
	  -c c/src/crc32c.c -o $(C_BUILD)/clang/crc32c-armv8.o
	nm $(C_BUILD)/clang/crc32c-armv8.o > $(C_BUILD)/clang/crc32c-armv8.nm
	grep -q ' crc_hw$$' $(C_BUILD)/clang/crc32c-armv8.nm
	! grep -q 'crc_nibble' $(C_BUILD)/clang/crc32c-armv8.nm

c-asan: venv ## C: unit tests and every vector under AddressSanitizer + UndefinedBehaviorSanitizer
	@mkdir -p $(C_BUILD)
	@$(call c_configure,$(C_BUILD)/asan,-DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DFW_SANITIZE=ON -DFW_VARIANTS=OFF)
	cmake --build $(C_BUILD)/asan -j$(C_JOBS) -- --no-print-directory
	cd $(C_BUILD)/asan && ctest --output-on-failure -j$(C_JOBS)

c-valgrind: venv ## C: unit tests and every vector under valgrind memcheck
	@mkdir -p $(C_BUILD)
	@$(call c_configure,$(C_BUILD)/valgrind,-DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug -DFW_VARIANTS=OFF "-DFW_TEST_WRAPPER=$(C_VALGRIND)")
	cmake --build $(C_BUILD)/valgrind -j$(C_JOBS) -- --no-print-directory
	cd $(C_BUILD)/valgrind && ctest --output-on-failure -j$(C_JOBS)

c-cppcheck: ## C: cppcheck over the library, adapter, echo peer and example (no finding allowed)
	cppcheck --quiet --error-exitcode=1 --std=c99 --enable=warning,style,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -I c/include -I c/src \
	  c/src c/adapter c/examples

c-conformance: c ## C: the conformance runner over the C adapter, and live mode over the C echo peer
	bash c/tests/conformance.sh $(C_RUNNER) $(abspath $(C_BUILD)/gcc/fw_adapter) $(abspath $(C_BUILD)/gcc/fw_echo)

c-install: c ## C: install into a temporary prefix and build the example against it with pkg-config
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cmake --install $(C_BUILD)/gcc --prefix "$$tmp" > /dev/null; \
	pc=$$(dirname "$$(find "$$tmp" -name framewire.pc)"); \
	flags=$$(PKG_CONFIG_PATH="$$pc" pkg-config --cflags --libs framewire); \
	echo "cc c/examples/client.c $$flags"; \
	cc -std=c99 -Wall -Wextra -Werror c/examples/client.c $$flags -o "$$tmp/client"; \
	sh c/tests/run_example.sh $(C_BUILD)/gcc/fw_echo "" "$$tmp/client"
