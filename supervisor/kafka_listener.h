/* kafka_listener.h - accepting Kafka client connections on kafka_listen. */
#ifndef FJORD_SUP_KAFKA_LISTENER_H
#define FJORD_SUP_KAFKA_LISTENER_H

struct sup;
struct evconnlistener;

/* Binds s->cfg->node.kafka_listen and accepts connections into kconn_open,
 * refusing those beyond kafka.max_connections. Returns the listener, or
 * NULL after logging which address could not be bound. */
struct evconnlistener *kafka_listener_start(struct sup *s);

#endif
