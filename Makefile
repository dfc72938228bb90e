# Muhafiz: `make run` and `make test` do all the set-up on a fresh Debian 12 machine.
BUILD  ?= build
JOBS   ?= $(shell nproc)
CTEST_JOBS ?= 2

.PHONY: all deps configure build web run test bench clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja: CMakeLists.txt CMakePresets.json | deps
	cmake --preset default -B $(BUILD)

configure: $(BUILD)/build.ninja

web: deps
	@cd web && npm run --silent build

build: configure web
	cmake --build $(BUILD) -j $(JOBS)
	@echo "built $(BUILD)/muhafiz"

run: build
	$(BUILD)/muhafiz serve

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(CTEST_JOBS)

bench: build
	@scripts/bench $(BUILD)

clean:
	rm -rf $(BUILD) web/dist
