"""A reconstruction of the original MoDT db-unit, for measuring the Rust state unit beside it.

The original's source is not part of this repository. This follows its behaviour as
docs/protocol.md records it: paho-mqtt with its defaults (MQTT 3.1.1, QoS 0 publishes and
subscriptions, no TCP_NODELAY or quick ACKs), one message at a time on paho's network thread,
SQLite table `states(user_id, key, value, updated_at)`, `json.dumps` for lists and objects and
`str()` for everything else, answers of get and all/get broadcast on the legacy topics, no answer
to set/delete/clear, none to keys/query.

    pip install paho-mqtt
    python3 bench/original/db_unit.py --port 18831 --db /tmp/original.db

Then `modt bench state --broker-port 18831 --external-state --acked 0 --paho-style`.
"""

import argparse
import datetime
import json
import sqlite3

import paho.mqtt.client as mqtt


def now():
    return datetime.datetime.now().strftime("%Y-%m-%dT%H:%M:%S")


def stored(value):
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def loaded(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=1883)
    ap.add_argument("--db", default="modt_state.db")
    args = ap.parse_args()

    db = sqlite3.connect(args.db, check_same_thread=False)
    db.execute(
        "CREATE TABLE IF NOT EXISTS states (user_id TEXT, key TEXT, value TEXT, "
        "updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (user_id, key))"
    )
    db.commit()

    def on_connect(client, userdata, flags, reason, properties=None):
        for t in ("set", "get", "all/get", "delete", "clear"):
            client.subscribe(f"modt/state/{t}")

    def on_message(client, userdata, msg):
        p = json.loads(msg.payload)
        uid, key = p.get("user_id"), p.get("key")
        if msg.topic == "modt/state/set":
            db.execute(
                "INSERT OR REPLACE INTO states (user_id, key, value) VALUES (?, ?, ?)",
                (uid, key, stored(p.get("value"))),
            )
            db.commit()
        elif msg.topic == "modt/state/get":
            row = db.execute(
                "SELECT value FROM states WHERE user_id=? AND key=?", (uid, key)
            ).fetchone()
            answer = {
                "timestamp": now(),
                "user_id": uid,
                "key": key,
                "value": loaded(row[0]) if row else None,
                "status": "valid" if row else "not_found",
            }
            client.publish("modt/state/value", json.dumps(answer))
        elif msg.topic == "modt/state/all/get":
            rows = db.execute("SELECT key, value FROM states WHERE user_id=?", (uid,))
            data = {k: loaded(v) for k, v in rows}
            client.publish(
                "modt/state/all/value",
                json.dumps({"timestamp": now(), "user_id": uid, "data": data}),
            )
        elif msg.topic == "modt/state/delete":
            db.execute("DELETE FROM states WHERE user_id=? AND key=?", (uid, key))
            db.commit()
        elif msg.topic == "modt/state/clear":
            db.execute("DELETE FROM states WHERE user_id=?", (uid,))
            db.commit()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="db-unit")
    client.on_connect = on_connect
    client.on_message = on_message
    client.connect(args.host, args.port)
    client.loop_forever()


if __name__ == "__main__":
    main()
