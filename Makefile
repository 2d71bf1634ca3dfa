# Thin wrapper over CMake. `make demo` and `make test` are the README's commands (after
# scripts/install-deps, which they do not call themselves).
BUILD ?= build
JOBS ?= $(shell nproc)
DEMO_OUT ?= runs/demo

.PHONY: build test demo bench clean

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# A Textured MNIST preview, then a baseline and a ReFF model on the cpu preset (trained at
# p = 0, where the background gives the label away; tested where it does not). Rerunning resumes.
demo: build
	$(BUILD)/reff data textured-mnist --preset cpu --count 200 --out $(DEMO_OUT)/data
	@for method in baseline reff; do \
	  resume=; [ -f $(DEMO_OUT)/$$method/config.json ] && resume=--resume; \
	  $(BUILD)/reff train --preset cpu --method $$method --out $(DEMO_OUT)/$$method $$resume \
	    > $(DEMO_OUT)/$$method.summary || exit 1; \
	done
	@echo "data preview: $(DEMO_OUT)/data/preview.png"
	@echo "explanations: $(DEMO_OUT)/baseline/explanations.png $(DEMO_OUT)/reff/explanations.png"
	@for method in baseline reff; do printf '%-9s %s\n' "$$method:" "$$(head -1 $(DEMO_OUT)/$$method.summary)"; done

bench: build
	/usr/bin/python3 bench/compare.py $(BUILD)

clean:
	rm -rf $(BUILD)
