#!/usr/bin/python3
"""Generates the hostile-input corpus: tests/bad_models/*.onnx and expected.txt.

Each case is a small model file that Parallax must refuse with a clear Status, never a crash.
expected.txt has one line per file:   FILE <TAB> PHASE <TAB> SUBSTRING
  PHASE = load  Session::Load must fail with a message containing SUBSTRING
  PHASE = run   Session::Load succeeds; Run (inputs: zeros of the declared shapes, symbolic
                dims = 1) must fail with a message containing SUBSTRING
tests/unit/bad_models_test.cc checks every line. Regenerate with:
  /usr/bin/python3 tests/bad_models/make_bad_models.py   (Debian python3-onnx)
"""
import os
import sys

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = []  # (file, phase, substring)


def save(name, data, phase, expect):
    if isinstance(data, onnx.ModelProto):
        data = data.SerializeToString()
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
        f.write(data)
    CASES.append((name + ".onnx", phase, expect))


def vi(name, shape=(2, 3), dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, list(shape) if shape is not None else None)


def model(nodes, inputs=None, outputs=None, inits=(), opset=17, value_info=(), **kw):
    inputs = [vi("x")] if inputs is None else inputs
    outputs = [vi("y")] if outputs is None else outputs
    g = helper.make_graph(nodes, "bad", inputs, outputs, initializer=list(inits),
                          value_info=list(value_info))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=8, **kw)


def relu(i="x", o="y", name="relu"):
    return helper.make_node("Relu", [i], [o], name=name)


def raw_tensor(name, dtype, dims, raw):
    t = TensorProto(name=name, data_type=dtype, dims=list(dims))
    t.raw_data = raw
    return t


def add_with(init):
    """y = x + init (the initializer named 'w')."""
    return model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], inits=[init])


def nested_if(depth):
    """An If whose then-branch holds an If ... `depth` levels deep."""
    def branch(d):
        out = vi("b%d" % d, shape=None)
        if d == 0:
            const = helper.make_node("Constant", [], ["b0"],
                                     value=helper.make_tensor("v", TensorProto.FLOAT, [], [1.0]))
            return helper.make_graph([const], "g0", [], [out])
        node = helper.make_node("If", ["cond"], ["b%d" % d], name="if%d" % d,
                                then_branch=branch(d - 1), else_branch=branch(d - 1) if d < 3 else branch(0))
        return helper.make_graph([node], "g%d" % d, [], [out])
    top = helper.make_node("If", ["cond"], ["y"], name="top", then_branch=branch(depth - 1),
                           else_branch=branch(0))
    return model([top], inputs=[vi("cond", (), TensorProto.BOOL)], outputs=[vi("y", None)])


def external(location, **extra):
    t = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[3])
    t.data_location = TensorProto.EXTERNAL
    for k, v in [("location", location)] + list(extra.items()):
        e = t.external_data.add()
        e.key, e.value = k, v
    return add_with(t)


def main():
    good = model([relu()])
    good_bytes = good.SerializeToString()

    # --- Not a model at all ---
    save("truncated", good_bytes[: len(good_bytes) // 2], "load", "truncated or corrupt")
    save("truncated_one_byte", good_bytes[:-1], "load", "truncated or corrupt")
    save("empty", b"", "load", "no graph")
    save("zip_magic", b"PK\x03\x04" + b"\x00" * 60, "load", "not a valid ONNX protobuf")
    save("npy_magic", b"\x93NUMPY\x01\x00v\x00{'descr': '<f4'}" + b" " * 40, "load",
         "not a valid ONNX protobuf")
    save("garbage_varint", b"\x0a\xff\xff\xff\xff\x0f", "load", "not a valid ONNX protobuf")
    save("no_graph", helper.make_model(helper.make_graph([], "g", [], [])).SerializeToString()[:0]
         + onnx.ModelProto(ir_version=8).SerializeToString(), "load", "no graph")

    # --- Graph structure ---
    save("cycle", model([relu("b", "a", "r1"), relu("a", "b", "r2"), relu("a", "y", "r3")]),
         "load", "cycle")
    save("self_loop", model([helper.make_node("Add", ["x", "t"], ["t"], name="loop"), relu("t")]),
         "load", "cycle")
    save("dangling_input", model([helper.make_node("Add", ["x", "nope"], ["y"], name="add")]),
         "load", "'nope' is not produced by any node, input or initializer")
    save("dangling_output", model([relu()], outputs=[vi("z")]), "load",
         "graph output 'z' is not produced")
    save("duplicate_producer", model([relu(name="a"), relu(name="b")]), "load",
         "is already produced by node 'a'")
    w = helper.make_tensor("w", TensorProto.FLOAT, [3], [1, 2, 3])
    save("duplicate_initializer",
         model([helper.make_node("Add", ["x", "w"], ["y"])], inits=[w, w]), "load",
         "initializer 'w' is defined twice")
    save("duplicate_input", model([relu()], inputs=[vi("x"), vi("x")]), "load",
         "graph input 'x' is declared twice")
    save("output_named_like_initializer",
         model([helper.make_node("Add", ["x", "x"], ["w"], name="add"), relu("w")], inits=[w]),
         "load", "has the name of an initializer")
    save("output_named_like_input",
         model([relu("x", "x", "inplace"), relu()]), "load", "output 'x' is also a graph input")
    const = helper.make_node("Constant", [], ["x"], name="c",
                             value=helper.make_tensor("v", TensorProto.FLOAT, [2, 3], [0] * 6))
    save("constant_named_like_input", model([const, relu()]), "load", "is also a graph input")
    save("input_without_name", model([relu()], inputs=[vi("x"), vi("")]), "load",
         "a graph input has no name")
    save("initializer_without_name",
         model([relu()], inits=[helper.make_tensor("", TensorProto.FLOAT, [1], [1])]), "load",
         "an initializer has no name")

    # --- Tensors: dims, sizes, dtypes ---
    save("huge_dims", add_with(raw_tensor("w", TensorProto.FLOAT, [1 << 31, 1 << 31, 4], b"")),
         "load", "is too large")
    save("overflow_dims", add_with(raw_tensor("w", TensorProto.FLOAT, [1 << 62, 1 << 62], b"")),
         "load", "is too large")
    save("wraparound_dims", add_with(raw_tensor("w", TensorProto.FLOAT, [1 << 61, 2], b"")),
         "load", "is too large")
    save("negative_dim", add_with(raw_tensor("w", TensorProto.FLOAT, [3, -1], b"")), "load",
         "negative dim -1")
    save("float_data_short", add_with(TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2, 3],
                                                float_data=[1, 2, 3])),
         "load", "needs 24 bytes of data, the file holds 12")
    save("raw_data_short", add_with(raw_tensor("w", TensorProto.FLOAT, [4], b"\0" * 8)), "load",
         "needs 16 bytes of data, the file holds 8")
    save("raw_data_long", add_with(raw_tensor("w", TensorProto.FLOAT, [1], b"\0" * 9)), "load",
         "needs 4 bytes of data, the file holds 9")
    save("int64_data_short", add_with(TensorProto(name="w", data_type=TensorProto.INT64, dims=[5],
                                                int64_data=[1])), "load",
         "needs 40 bytes")
    save("unknown_dtype", add_with(raw_tensor("w", 99, [1], b"\0" * 4)), "load",
         "unsupported data type 99")
    save("bfloat16_initializer", add_with(raw_tensor("w", TensorProto.BFLOAT16, [1], b"\0" * 2)),
         "load", "unsupported data type 16 (BFLOAT16)")
    save("string_initializer", add_with(helper.make_tensor("w", TensorProto.STRING, [1], [b"a"])),
         "load", "unsupported data type 8 (STRING)")
    save("unknown_input_dtype", model([relu()], inputs=[vi("x", (2, 3), 77)]), "load",
         "graph input 'x' has unsupported data type 77")
    save("rank_17_initializer", add_with(raw_tensor("w", TensorProto.FLOAT, [1] * 17, b"\0" * 4)),
         "load", "rank above 16")
    save("rank_40_input", model([relu()], inputs=[vi("x", [1] * 40)]), "load",
         "declared with rank 40, above 16")
    seg = raw_tensor("w", TensorProto.FLOAT, [1], b"\0" * 4)
    seg.segment.begin, seg.segment.end = 0, 1
    save("segmented_tensor", add_with(seg), "load", "segments are not supported")

    # --- Subgraphs ---
    save("subgraph_depth_20", nested_if(20), "load", "nested deeper than 16")
    save("subgraph_depth_100", nested_if(100), "load", "nested more than 200 messages deep")

    # --- External data ---
    save("external_path_traversal", external("../../../../etc/passwd"), "load",
         "points outside the model's folder")
    save("external_dotdot_inside", external("sub/../../bad_models/../../x.bin"), "load",
         "points outside the model's folder")
    save("external_absolute", external("/etc/passwd"), "load", "must be a relative path")
    save("external_missing", external("no_such_weights.bin"), "load", "file not found")
    save("external_directory", external("."), "load", "is not a regular file")
    save("external_bad_offset", external("external_bad_offset.onnx", offset="12abc"), "load",
         "not a non-negative integer")
    save("external_negative_length", external("external_negative_length.onnx", length="-5"), "load",
         "not a non-negative integer")
    save("external_huge_offset", external("external_huge_offset.onnx", offset="9223372036854775807"),
         "load", "is shorter than the 12 bytes")
    save("external_length_mismatch", external("external_length_mismatch.onnx", length="3"), "load",
         "inconsistent with its shape")

    # --- Nodes, attributes, opsets ---
    conv_w = helper.make_tensor("w", TensorProto.FLOAT, [1, 1, 1, 1], [1])
    x4 = vi("x", (1, 1, 4, 4))
    conv = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape="3x3")
    save("attr_kernel_shape_string", model([conv], inputs=[x4], outputs=[vi("y", None)], inits=[conv_w]),
         "load", "Conv node 'conv': attribute 'kernel_shape' must be ints, got a string")
    concat = helper.make_node("Concat", ["x", "x"], ["y"], name="cat", axis=1.5)
    save("attr_axis_float", model([concat], outputs=[vi("y", None)]), "load",
         "attribute 'axis' must be an int, got a float")
    lrelu = helper.make_node("LeakyRelu", ["x"], ["y"], name="lrelu", alpha="big")
    save("attr_alpha_string", model([lrelu]), "load", "attribute 'alpha' must be a float, got a string")
    tr = helper.make_node("Transpose", ["x"], ["y"], name="tr",
                          perm=helper.make_tensor("p", TensorProto.INT64, [2], [1, 0]))
    save("attr_perm_tensor", model([tr], outputs=[vi("y", None)]), "load",
         "attribute 'perm' must be ints, got a tensor")
    dup = helper.make_node("Concat", ["x", "x"], ["y"], name="cat")
    dup.attribute.extend([helper.make_attribute("axis", 0), helper.make_attribute("axis", 1)])
    save("attr_given_twice", model([dup], outputs=[vi("y", None)]), "load",
         "attribute 'axis' is given twice")
    und = relu()
    und.attribute.add().name = "mystery"  # type UNDEFINED
    save("attr_undefined_type", model([und]), "load", "attribute 'mystery' has unsupported type 0")
    save("unknown_op", model([helper.make_node("Frobnicate", ["x"], ["y"], name="frob")]), "load",
         "op 'Frobnicate'")
    save("unknown_domain",
         model([helper.make_node("Relu", ["x"], ["y"], name="r", domain="com.example")]), "load",
         "domain 'com.example' is not imported")
    save("opset_zero", model([relu()], opset=0), "load", "has version 0")
    save("opset_huge", model([relu()], opset=1 << 40), "load", "has version 1099511627776")
    save("constant_without_value", model([helper.make_node("Constant", [], ["y"], name="c")],
                                         inputs=[]), "load", "expected one output and one value attribute")
    save("constant_value_not_tensor",
         model([helper.make_node("Constant", [], ["y"], name="c", value=3)], inputs=[]), "load",
         "'value' must be a tensor")

    # Fusion patterns with operands missing (found by fuzz_loader: the passes indexed them).
    sig = helper.make_node("Sigmoid", [""], ["s"], name="sig_no_input")
    gate = helper.make_node("Mul", ["x", "s"], ["y"], name="gate")
    save("silu_pattern_missing_input", model([sig, gate]), "run", "missing required input 0")
    aw = helper.make_tensor("w", TensorProto.FLOAT, [3, 3], [0] * 9)
    qk = helper.make_node("MatMul", ["x", "w"], ["s"], name="qk")
    sm = helper.make_node("Softmax", ["s"], ["p"], name="sm", axis=-1)
    pv = helper.make_node("MatMul", ["p"], ["y"], name="pv_one_input")
    save("attention_pattern_one_input", model([qk, sm, pv], outputs=[vi("y", None)], inits=[aw]), "run",
         "MatMul node 'pv_one_input'")

    # --- Detectable only when shapes are known (plan time, inside Run) ---
    shape = helper.make_tensor("s", TensorProto.INT64, [2], [4, 4])
    save("reshape_wrong_count",
         model([helper.make_node("Reshape", ["x", "s"], ["y"], name="rs")], outputs=[vi("y", None)],
               inits=[shape]), "run", "Reshape node 'rs'")
    mw = helper.make_tensor("w", TensorProto.FLOAT, [4, 5], [0] * 20)
    save("matmul_inner_mismatch",
         model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], outputs=[vi("y", None)],
               inits=[mw]), "run", "MatMul node 'mm'")
    # Found by fuzz_loader: an empty opset-10 scales input read a missing sizes list.
    empty_scales = helper.make_tensor("sc", TensorProto.FLOAT, [0], [])
    save("resize_empty_scales",
         model([helper.make_node("Resize", ["x", "sc"], ["y"], name="rsz")], outputs=[vi("y", None)],
               inits=[empty_scales], opset=10), "run", "input 'scales' is empty")
    save("concat_axis_out_of_range",
         model([helper.make_node("Concat", ["x", "x"], ["y"], name="cat", axis=5)],
               outputs=[vi("y", None)]), "run", "Concat node 'cat'")
    idx = helper.make_tensor("i", TensorProto.INT64, [2], [0, 7])
    save("gather_index_out_of_range",
         model([helper.make_node("Gather", ["x", "i"], ["y"], name="g", axis=0)],
               outputs=[vi("y", None)], inits=[idx]), "run", "Gather node 'g'")
    big = helper.make_tensor("s", TensorProto.INT64, [3], [1 << 20, 1 << 20, 1 << 20])
    save("constant_of_shape_huge",
         model([helper.make_node("ConstantOfShape", ["s"], ["y"], name="cos")], inputs=[],
               outputs=[vi("y", None)], inits=[big]), "run", "too large")
    ebig = helper.make_tensor("s", TensorProto.INT64, [3], [1 << 40, 1 << 40, 3])
    save("expand_huge",
         model([helper.make_node("Expand", ["x", "s"], ["y"], name="ex")], inputs=[vi("x", (1, 1, 3))],
               outputs=[vi("y", None)], inits=[ebig]), "run", "Expand node 'ex'")
    save("conv_weight_rank_mismatch",
         model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], inputs=[x4],
               outputs=[vi("y", None)], inits=[helper.make_tensor("w", TensorProto.FLOAT, [1, 1], [1])]),
         "run", "Conv node 'conv'")

    with open(os.path.join(HERE, "expected.txt"), "w") as f:
        f.write("# FILE\tPHASE\tEXPECTED ERROR SUBSTRING -- generated by make_bad_models.py\n")
        for name, phase, expect in CASES:
            f.write("%s\t%s\t%s\n" % (name, phase, expect))
    print("%d cases" % len(CASES), file=sys.stderr)


if __name__ == "__main__":
    main()
