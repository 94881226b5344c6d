/*
 * map.c - pointer vectors and a string-keyed open-addressing hash map (linear probing, FNV-1a,
 * power-of-two capacity, tombstones on delete, rehash at 70% of slots used).
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

static char tombstone_key;
#define TOMB (&tombstone_key)

void slu_vec_push(struct slu_vec *v, void *item)
{
    if (v->len == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->items = slu_realloc(v->items, v->cap * sizeof(void *));
    }
    v->items[v->len++] = item;
}

void *slu_vec_pop(struct slu_vec *v)
{
    return v->len ? v->items[--v->len] : NULL;
}

void slu_vec_remove_at(struct slu_vec *v, size_t i)
{
    if (i >= v->len)
        return;
    memmove(&v->items[i], &v->items[i + 1], (v->len - i - 1) * sizeof(void *));
    v->len--;
}

void slu_vec_release(struct slu_vec *v, void (*free_fn)(void *))
{
    if (free_fn)
        for (size_t i = 0; i < v->len; i++)
            free_fn(v->items[i]);
    free(v->items);
    memset(v, 0, sizeof(*v));
}

void slu_vec_sort(struct slu_vec *v, int (*cmp)(const void *a, const void *b))
{
    if (v->len > 1)
        qsort(v->items, v->len, sizeof(void *), cmp);
}

uint64_t slu_hash(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void slu_map_init(struct slu_map *m, void (*free_value)(void *))
{
    memset(m, 0, sizeof(*m));
    m->free_value = free_value;
}

void slu_map_release(struct slu_map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        struct slu_map_entry *e = &m->slots[i];
        if (e->key && e->key != TOMB) {
            free(e->key);
            if (m->free_value)
                m->free_value(e->value);
        }
    }
    free(m->slots);
    void (*fv)(void *) = m->free_value;
    memset(m, 0, sizeof(*m));
    m->free_value = fv;
}

static struct slu_map_entry *find(const struct slu_map *m, const char *key, uint64_t h)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct slu_map_entry *e = &m->slots[i];
        if (!e->key)
            return NULL;
        if (e->key != TOMB && e->hash == h && strcmp(e->key, key) == 0)
            return e;
    }
}

static void grow(struct slu_map *m)
{
    size_t ncap = m->cap ? m->cap : 16;
    while (m->len * 2 >= ncap)
        ncap *= 2;
    if (m->cap && ncap < m->cap)
        ncap = m->cap;
    struct slu_map_entry *old = m->slots;
    size_t ocap = m->cap;
    m->slots = slu_calloc(ncap, sizeof(*m->slots));
    m->cap = ncap;
    m->used = m->len;
    size_t mask = ncap - 1;
    for (size_t i = 0; i < ocap; i++) {
        struct slu_map_entry *e = &old[i];
        if (!e->key || e->key == TOMB)
            continue;
        size_t j = e->hash & mask;
        while (m->slots[j].key)
            j = (j + 1) & mask;
        m->slots[j] = *e;
    }
    free(old);
}

void slu_map_put(struct slu_map *m, const char *key, void *value)
{
    uint64_t h = slu_hash(key, strlen(key));
    struct slu_map_entry *e = find(m, key, h);
    if (e) {
        if (m->free_value && e->value != value)
            m->free_value(e->value);
        e->value = value;
        return;
    }
    if ((m->used + 1) * 10 >= m->cap * 7)
        grow(m);
    size_t mask = m->cap - 1;
    size_t i = h & mask;
    while (m->slots[i].key && m->slots[i].key != TOMB)
        i = (i + 1) & mask;
    if (!m->slots[i].key)
        m->used++;
    m->slots[i].key = slu_strdup(key);
    m->slots[i].hash = h;
    m->slots[i].value = value;
    m->len++;
}

void *slu_map_get(const struct slu_map *m, const char *key)
{
    struct slu_map_entry *e = find(m, key, slu_hash(key, strlen(key)));
    return e ? e->value : NULL;
}

bool slu_map_has(const struct slu_map *m, const char *key)
{
    return find(m, key, slu_hash(key, strlen(key))) != NULL;
}

void *slu_map_take(struct slu_map *m, const char *key)
{
    struct slu_map_entry *e = find(m, key, slu_hash(key, strlen(key)));
    if (!e)
        return NULL;
    void *v = e->value;
    free(e->key);
    e->key = TOMB;
    e->value = NULL;
    m->len--;
    return v;
}

bool slu_map_del(struct slu_map *m, const char *key)
{
    struct slu_map_entry *e = find(m, key, slu_hash(key, strlen(key)));
    if (!e)
        return false;
    void *v = e->value;
    free(e->key);
    e->key = TOMB;
    e->value = NULL;
    m->len--;
    if (m->free_value)
        m->free_value(v);
    return true;
}

bool slu_map_next(const struct slu_map *m, size_t *it, const char **key, void **value)
{
    while (*it < m->cap) {
        struct slu_map_entry *e = &m->slots[(*it)++];
        if (e->key && e->key != TOMB) {
            if (key)
                *key = e->key;
            if (value)
                *value = e->value;
            return true;
        }
    }
    return false;
}
