"""``compile_catalogues [--check]``: write each language's .mo from its .po (with Babel)."""

from django.core.management.base import BaseCommand, CommandError

from portal.catalogues import catalogue_compile, catalogue_paths, catalogue_problems


class Command(BaseCommand):
    help = (
        "Compile locale/*/LC_MESSAGES/django.po into django.mo after checking them "
        "(no empty, fuzzy or untranslated entry, placeholders as in English). With --check, "
        "write nothing and fail if a .mo does not match its .po."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Write nothing; fail if stale.")

    def handle(self, *args, check: bool, **options):
        problems, compiled = [], {}
        for code, po in catalogue_paths().items():
            if not po.exists():
                problems.append(f"{code}: {po} is missing")
                continue
            problems += [f"{code}: {problem}" for problem in catalogue_problems(po)]
            compiled[po.with_suffix(".mo")] = (code, catalogue_compile(po))
        if problems:  # checked first, all of them: a broken catalogue writes no .mo at all
            raise CommandError("\n".join(problems))
        stale = [
            f"{code}: {mo} does not match its .po; run compile_catalogues"
            for mo, (code, data) in compiled.items()
            if not mo.exists() or mo.read_bytes() != data
        ]
        if check:
            if stale:
                raise CommandError("\n".join(stale))
            self.stdout.write(f"{len(compiled)} catalogues match their sources.")
            return
        for mo, (code, data) in compiled.items():
            mo.write_bytes(data)
            self.stdout.write(f"{code}: compiled {mo.name}")
