# The README's two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench mutate messages clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python scripts/run_dev.py

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache mutants

# After changing a translatable string: update every catalogue, then compile (Babel).
# makemessages needs GNU gettext (Debian: gettext); compiling does not.
messages: $(STAMP)
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemessages --no-location --no-obsolete \
		$(foreach code,sl de hr it,-l $(code)) \
		--ignore='.venv/*' --ignore='mutants/*' --ignore='tests/*' --ignore='var/*' \
		--ignore='staticfiles/*'
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py compile_catalogues

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.run

# Mutation testing of the core (see [tool.mutmut] in pyproject.toml); not in CI.
mutate: $(STAMP)
	$(BIN)/pip install --quiet -r requirements-mutate.txt
	$(BIN)/python -m tests.mutation
