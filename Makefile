# Two commands do all set-up on a fresh machine with nothing but Python 3.11:
#   make run    install, start what is needed, migrate, seed the demo tenant, serve everything
#   make test   install, start what is needed, run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEVSERVICES := $(BIN)/python -m scripts.devservices --


# The browser tests drive Debian's chromium package; installed here when it is missing.
CHROMIUM_PATH ?= $(shell command -v chromium || echo /usr/bin/chromium)

.PHONY: install browser run test api-fuzz migrate bootstrap lint bench resilience eval shell clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

browser:
	@[ -x "$(CHROMIUM_PATH)" ] || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "The browser tests need chromium: sudo apt-get install chromium"; exit 1; fi; }

run: install
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(DEVSERVICES) sh -c '\
		$(BIN)/python manage.py migrate_schemas --executor=multiprocessing --verbosity 1 && \
		$(BIN)/python manage.py tenant_template && \
		$(BIN)/python manage.py bootstrap && \
		PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho --procfile Procfile start'

test: install browser
	CHROMIUM_PATH=$(CHROMIUM_PATH) DJANGO_SETTINGS_MODULE=config.settings.test $(DEVSERVICES) $(BIN)/pytest $(PYTEST_ARGS)

# The schemathesis run of `make test` with many more examples per API operation.
api-fuzz: install
	API_FUZZ_EXAMPLES=$${API_FUZZ_EXAMPLES:-300} DJANGO_SETTINGS_MODULE=config.settings.test \
		$(DEVSERVICES) $(BIN)/pytest tests/integrations/api/test_schemathesis.py $(PYTEST_ARGS)

migrate: install
	$(DEVSERVICES) sh -c '$(BIN)/python manage.py migrate_schemas --executor=multiprocessing && \
		$(BIN)/python manage.py tenant_template'

lint: install
	$(BIN)/ruff check .

bench: install
	$(DEVSERVICES) sh -c 'for b in bench/*_bench.py bench/sandbox_*.py bench/mapping_*.py; do \
		[ -f "$$b" ] || continue; echo "== $$b"; $(BIN)/python "$$b" || exit 1; done'
	@echo "Figures: var/bench/results.json"; cat var/bench/results.json

# Kill -9 and restart each component during a stream of orders; a table of what arrived
# (docs/resilience.md). Its PostgreSQL and Redis are its own, on free ports.
resilience: install
	$(DEVSERVICES) $(BIN)/python bench/resilience.py $(RESILIENCE_ARGS)

# Accuracy figures of the assisted data-quality features (bench/eval_*.py), same results file.
eval: install
	$(DEVSERVICES) sh -c 'for e in bench/eval_*.py; do \
		[ -f "$$e" ] || continue; echo "== $$e"; $(BIN)/python "$$e" || exit 1; done'
	@echo "Figures: var/bench/results.json"; cat var/bench/results.json

shell: install
	$(DEVSERVICES) $(BIN)/python manage.py shell

clean:
	rm -rf $(VENV) var/static var/pgdata var/redis
