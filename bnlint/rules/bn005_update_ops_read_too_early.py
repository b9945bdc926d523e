from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from bnlint.analysis import catalogue
from bnlint.rules.base import Finding, Rule

if TYPE_CHECKING:
    import libcst as cst

    from bnlint.analysis.facts import ModuleFacts
    from bnlint.analysis.syntax import CallSite


class UpdateOpsReadTooEarly(Rule):
    """
    ## What it does
    Checks for `tf.get_collection(tf.GraphKeys.UPDATE_OPS)` (any spelling, `graph.get_collection(...)` included)
    evaluated before the batch-norm layers it should contain are built, in the order the function or module runs
    (a call of a function that builds batch norm counts as building it, whichever module defines that function),
    or outside the `with graph.as_default():` block in which they are built.

    ## Why is this bad?
    `get_collection` returns a copy of the collection as it is at that moment. Read before the layers exist, or
    from another graph, it is an empty list: `tf.control_dependencies(update_ops)` then depends on nothing and the
    train op never runs the moving-average updates. It is the mistake of BN002 in disguise, and BN002 cannot see it
    because the dependency block is there.

    ## Accepted idioms
    - Reading the collection after the model is built, in the same graph (inline in
      `tf.control_dependencies(tf.get_collection(...))` or into a variable).
    - `graph.get_collection(tf.GraphKeys.UPDATE_OPS)` on the graph the model was built in.
    - Reading it in a function that builds no batch norm itself: its caller may have built the model before.
    - Reading it after the first of several towers is built.

    ## Known problems
    The order is the order of the source within one function or module; a read inside a loop that builds the
    model later in the same loop body is not reported. A read kept to leave its ops out later (`skip_ops`, then
    `op not in skip_ops`) is a snapshot, not the list of updates to run, and is not reported.

    ## Fix safety
    No automatic fix yet: move the read after the model is built.

    ## Applies to
    `get_collection` / `get_collection_ref` of `tf`, `tf.compat.v1`, `ops` and graph objects, with the
    batch-norm APIs that fill the collection (`tf.layers`, `tf.contrib.layers`, tf-slim).
    """

    code = "BN005"
    name = "update-ops-read-too-early"
    summary = "UPDATE_OPS read before the batch-norm layers exist, or from another graph"
    needs = catalogue.BATCH_NORM_NAMES

    INVALID = (
        """
        import tensorflow as tf

        def model(images, is_training):
            net = tf.layers.conv2d(images, 32, 3)
            net = tf.layers.batch_normalization(net, training=is_training)
            return tf.layers.dense(tf.layers.flatten(net), 10)

        images = tf.placeholder(tf.float32, [None, 32, 32, 3])
        labels = tf.placeholder(tf.int64, [None])
        is_training = tf.placeholder(tf.bool, [])
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)  # expect: BN005 "read before"
        loss = tf.losses.sparse_softmax_cross_entropy(labels, model(images, is_training))
        with tf.control_dependencies(update_ops):
            train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
        """,
        """
        import tensorflow as tf

        graph = tf.Graph()
        with graph.as_default():
            images = tf.placeholder(tf.float32, [None, 8])
            is_training = tf.placeholder(tf.bool, [])
            net = tf.layers.batch_normalization(tf.layers.dense(images, 16), training=is_training)
            loss = tf.reduce_mean(tf.square(net))
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)  # expect: BN005 "another graph"
        """,
    )
    VALID = (
        """
        import tensorflow as tf

        def model(images, is_training):
            net = tf.layers.conv2d(images, 32, 3)
            net = tf.layers.batch_normalization(net, training=is_training)
            return tf.layers.dense(tf.layers.flatten(net), 10)

        images = tf.placeholder(tf.float32, [None, 32, 32, 3])
        labels = tf.placeholder(tf.int64, [None])
        is_training = tf.placeholder(tf.bool, [])
        loss = tf.losses.sparse_softmax_cross_entropy(labels, model(images, is_training))
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        with tf.control_dependencies(update_ops):
            train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
        """,
        """
        import tensorflow as tf

        graph = tf.Graph()
        with graph.as_default():
            images = tf.placeholder(tf.float32, [None, 8])
            is_training = tf.placeholder(tf.bool, [])
            net = tf.layers.batch_normalization(tf.layers.dense(images, 16), training=is_training)
            loss = tf.reduce_mean(tf.square(net))
        update_ops = graph.get_collection(tf.GraphKeys.UPDATE_OPS)
        """,
    )

    @classmethod
    def check(cls, facts: ModuleFacts) -> Iterator[Finding]:
        from bnlint.analysis.batchnorm import BatchNormKind

        tested: dict[cst.CSTNode, set[str]] = {}  # per body, the names tested for membership: each body walked once
        for read in facts.train_ops.update_ops_reads:
            building = [
                site
                for site in facts.sites_of.get(facts.enclosing[read], ())
                if BatchNormKind.UPDATES in facts.site_batch_norm(site)
            ]
            if not building:
                continue  # the caller may have built the model before calling this function
            graph = facts.contexts.graph_of(read)
            same_graph = [site for site in building if facts.contexts.graph_of(site) == graph]
            early = not same_graph or all(site.order > read.order for site in same_graph)
            if not early or _snapshot(facts, read, tested):
                continue
            if not same_graph:
                yield cls.finding(
                    read.node,
                    read,
                    "UPDATE_OPS is read from another graph than the batch-norm layers are built in (line {0})",
                    related=((_first(building).node, "batch norm built here"),),
                    help="The collection read holds none of those layers' update ops, so their moving averages never"
                    " update; read it inside that graph's as_default() block.",
                )
            else:
                yield cls.finding(
                    read.node,
                    read,
                    "UPDATE_OPS is read before the batch-norm layers below are built (line {0})",
                    related=((_first(same_graph).node, "batch norm built here"),),
                    help="The list read holds none of their update ops, so their moving averages never update; read it"
                    " after building the model.",
                )


def _snapshot(facts: ModuleFacts, read: CallSite, tested: dict[cst.CSTNode, set[str]]) -> bool:
    """The read is a snapshot taken on purpose to leave its ops out later (`skip_ops = get_collection(...)`, then
    `[op for op in get_collection(...) if op not in skip_ops]`): what it holds is excluded, not run."""
    import libcst as cst

    from bnlint.analysis.walk import nodes_below

    names = facts.result_uses.derived_names(read)
    if not names:
        return False
    function = facts.enclosing[read]
    body = function.node if function is not None else facts.syntax.module
    if body not in tested:
        tested[body] = {
            node.comparator.value
            for node in nodes_below(body)
            if type(node) is cst.ComparisonTarget
            and type(node.operator) in (cst.In, cst.NotIn)
            and type(node.comparator) is cst.Name
        }
    return bool(names & tested[body])


def _first(sites: list[CallSite]) -> CallSite:
    return min(sites, key=lambda site: site.order)
