/* first_fit.c - the example allocator (first_fit.h). */
#include "first_fit.h"

struct first_fit_block {
	size_t size;		      /* bytes, header included */
	struct first_fit_block *next; /* free blocks only: the next free block by address */
};

static struct first_fit_block *header_of(const void *p)
{
	return (struct first_fit_block *)((unsigned char *)p - FIRST_FIT_HEADER);
}

int first_fit_init(struct first_fit *h, void *mem, size_t len)
{
	if (len < 2 * FIRST_FIT_HEADER || ((size_t)mem & (FIRST_FIT_HEADER - 1)))
		return -1;
	len &= ~(size_t)(FIRST_FIT_HEADER - 1);
	h->base = mem;
	h->end = h->base + len;
	h->free_list = mem;
	h->free_list->size = len;
	h->free_list->next = NULL;
	return 0;
}

void *first_fit_alloc(struct first_fit *h, size_t n)
{
	size_t need = (n + 2 * FIRST_FIT_HEADER - 1) & ~(size_t)(FIRST_FIT_HEADER - 1);
	struct first_fit_block **link = &h->free_list, *b;

	if (n == 0 || n > (size_t)(h->end - h->base))
		return NULL;
	for (b = *link; b && b->size < need; b = *link)
		link = &b->next;
	if (!b)
		return NULL;
	if (b->size - need >= 2 * FIRST_FIT_HEADER) { /* split: the tail stays free */
		struct first_fit_block *rest =
		    (struct first_fit_block *)((unsigned char *)b + need);

		rest->size = b->size - need;
		rest->next = b->next;
		*link = rest;
		b->size = need;
	} else {
		*link = b->next;
	}
	return (unsigned char *)b + FIRST_FIT_HEADER;
}

int first_fit_free(struct first_fit *h, void *p)
{
	struct first_fit_block *b = header_of(p), *prev = NULL, **link;

	if ((unsigned char *)p < h->base + FIRST_FIT_HEADER || (unsigned char *)p >= h->end)
		return -1;
	for (link = &h->free_list; *link && *link < b; link = &(*link)->next)
		prev = *link;
	b->next = *link;
	*link = b;
	if (b->next && (unsigned char *)b + b->size == (unsigned char *)b->next) {
		b->size += b->next->size;
		b->next = b->next->next;
	}
	if (prev && (unsigned char *)prev + prev->size == (unsigned char *)b) {
		prev->size += b->size;
		prev->next = b->next;
	}
	return 0;
}

size_t first_fit_usable(const void *p)
{
	return header_of(p)->size - FIRST_FIT_HEADER;
}
