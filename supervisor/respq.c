/* respq.c - a FIFO of response slots that releases only a filled head. */
#include "respq.h"

#include <stdlib.h>

void respq_init(struct respq *q)
{
	q->head = q->tail = NULL;
	q->n = 0;
}

struct respq_slot *respq_push(struct respq *q)
{
	struct respq_slot *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	buf_init(&s->data);
	if (q->tail)
		q->tail->next = s;
	else
		q->head = s;
	q->tail = s;
	q->n++;
	return s;
}

void respq_fill(struct respq_slot *s, struct buf *data)
{
	buf_free(&s->data);
	s->data = *data;
	buf_init(data);
	s->done = true;
}

bool respq_pop(struct respq *q, struct buf *out)
{
	struct respq_slot *s = q->head;
	if (s == NULL || !s->done)
		return false;
	q->head = s->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->n--;
	*out = s->data;
	free(s);
	return true;
}

void respq_free(struct respq *q)
{
	struct respq_slot *s = q->head;
	while (s != NULL) {
		struct respq_slot *next = s->next;
		buf_free(&s->data);
		free(s);
		s = next;
	}
	respq_init(q);
}
