/*
 * libical_parse FILE - baseline for `make bench`.
 *
 * Reads FILE into memory, parses it with libical in one call
 * (icalparser_parse_string), counts the VEVENTs of the VCALENDAR(s) and
 * prints "events=N errors=M", M being icalcomponent_count_errors() on the
 * root (the number of X-LIC-ERROR properties libical attached).
 *
 * Build: cc -O2 bench/libical_parse.c $(pkg-config --cflags --libs libical) -o libical_parse
 */
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 20, len = 0, n;
    char *buf = malloc(cap + 1);
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *bigger = realloc(buf, 2 * cap + 1);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (!buf || ferror(f)) {
        fprintf(stderr, "%s: read failed\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static int count_vevents(icalcomponent *cal)
{
    int n = 0;
    for (icalcomponent *c = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); c;
         c = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
        n++;
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.ics\n", argv[0]);
        return 2;
    }
    icalerror_set_errors_are_fatal(0);

    char *text = read_file(argv[1]);
    if (!text)
        return 1;
    icalcomponent *root = icalparser_parse_string(text);
    free(text);
    if (!root) {
        fprintf(stderr, "%s: libical could not parse the file\n", argv[1]);
        return 1;
    }

    /* Several top-level VCALENDARs come back wrapped in an XROOT. */
    int events = 0;
    if (icalcomponent_isa(root) == ICAL_XROOT_COMPONENT) {
        for (icalcomponent *cal = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT); cal;
             cal = icalcomponent_get_next_component(root, ICAL_VCALENDAR_COMPONENT))
            events += count_vevents(cal);
    } else {
        events = count_vevents(root);
    }
    printf("events=%d errors=%d\n", events, icalcomponent_count_errors(root));

    icalcomponent_free(root);
    return 0;
}
