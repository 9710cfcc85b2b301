using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace MLNet.CSP.Export.Onnx;

/// <summary>
/// Builds an ONNX graph one operator at a time. Each method takes the names of its input values and returns the name of
/// its output; weights become initializers. Modules write themselves through <see cref="IOnnxExportable"/>, mirroring
/// their inference forward (BatchNorms after convolutions folded, in float64, then stored as float32).
/// </summary>
internal sealed class OnnxGraph
{
    private readonly GraphProto graph = new() { Name = "mlnet_csp" };
    private readonly Dictionary<string, int> counters = new(StringComparer.Ordinal);
    private readonly Stack<string> scopes = new();
    private readonly Dictionary<string, string> named = new(StringComparer.Ordinal);

    /// <summary>The graph being built.</summary>
    public GraphProto Proto => graph;

    /// <summary>Names the nodes created until the returned scope is disposed after a module path (e.g. <c>stages.1.conv_down</c>).</summary>
    public IDisposable Scope(string name)
    {
        scopes.Push(scopes.Count == 0 ? name : scopes.Peek() + "." + name);
        return new PopScope(scopes);
    }

    /// <summary>Writes <paramref name="module"/> (an <see cref="IOnnxExportable"/>) under the node-name scope <paramref name="name"/>.</summary>
    public string Module(string name, nn.Module module, string input)
    {
        if (module is not IOnnxExportable exportable)
            throw new NotSupportedException($"{module.GetType().Name} ('{name}') has no ONNX form.");
        string output;
        using (Scope(name)) output = exportable.ExportOnnx(this, input);
        return Record(name, output);
    }

    /// <summary>Writes the modules of a <c>Sequential</c> in order (<c>name.0</c>, <c>name.1</c>, ...).</summary>
    public string Sequential(string name, TorchSharp.Modules.Sequential sequence, string input)
    {
        string current = input;
        int i = 0;
        foreach (var child in sequence.children()) current = Module($"{name}.{i++}", child, current);
        return current;
    }

    /// <summary>Remembers <paramref name="value"/> as the output of the module path <paramref name="name"/> under the current scope.</summary>
    public string Record(string name, string value)
    {
        named[scopes.Count == 0 ? name : scopes.Peek() + "." + name] = value;
        return value;
    }

    /// <summary>The value recorded for a full module path (e.g. <c>stages.2</c>, <c>features.norm0</c>).</summary>
    public string Output(string modulePath) =>
        named.TryGetValue(modulePath, out var value) ? value : throw new InvalidOperationException($"No ONNX value was recorded for module '{modulePath}'.");

    /// <summary>A float input [N, C, H, W]; a null dimension is symbolic (named by <paramref name="symbols"/>).</summary>
    public string AddInput(string name, long?[] shape, string[] symbols)
    {
        graph.Input.Add(ValueInfo(name, shape, symbols));
        return name;
    }

    /// <summary>Names <paramref name="value"/> as a graph output of the given shape (float32, or <paramref name="elementType"/>).</summary>
    public void AddOutput(string value, string name, long?[] shape, string[] symbols, TensorProto.Types.DataType elementType = TensorProto.Types.DataType.Float)
    {
        if (value != name) value = Node("Identity", [value], name: name, output: name);
        graph.Output.Add(ValueInfo(name, shape, symbols, elementType));
    }

    /// <summary>A node with several outputs (TopK's values and indices); returns their names in order.</summary>
    public string[] MultiNode(string opType, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        string nodeName = Unique(opType);
        var node = new NodeProto { OpType = opType, Name = nodeName };
        node.Input.AddRange(inputs);
        var names = Enumerable.Range(0, outputs).Select(i => $"{nodeName}_out{i}").ToArray();
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return names;
    }

    /// <summary>A float32 initializer with the given shape and values.</summary>
    public string Constant(string hint, ReadOnlySpan<float> values, params long[] dims)
    {
        string name = Unique(hint);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        tensor.Dims.AddRange(dims);
        graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>An int64 initializer (shapes, slice bounds).</summary>
    public string Int64Constant(string hint, params long[] values)
    {
        string name = Unique(hint);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.Add(values.Length);
        graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>A float32 initializer holding a tensor's values (copied to the CPU, NCHW order).</summary>
    public string Constant(string hint, Tensor value)
    {
        using var scope = torch.NewDisposeScope();
        var cpu = value.detach().to(ScalarType.Float32, torch.CPU).contiguous();
        return Constant(hint, cpu.data<float>().ToArray(), cpu.shape);
    }

    /// <summary>A 2-D convolution with optional bias; padding is symmetric.</summary>
    public string Conv(string x, Tensor weight, Tensor? bias, long[] stride, long[] padding, long groups)
    {
        string w = Constant("weight", weight);
        var inputs = bias is null ? new[] { x, w } : [x, w, Constant("bias", bias)];
        return Node("Conv", inputs,
            Ints("kernel_shape", weight.shape[2], weight.shape[3]),
            Ints("strides", stride),
            Ints("pads", padding[0], padding[1], padding[0], padding[1]),
            Int("group", groups));
    }

    /// <summary>A convolution (no bias) with the eval-mode BatchNorm after it folded in, computed in float64.</summary>
    public string ConvBatchNorm(string x, Conv2dLayer conv, BatchNorm2d bn)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (scale, shift) = BatchNormAffine.Of(bn, ScalarType.Float64);
        var weight = conv.Weight.to(ScalarType.Float64).mul(scale.reshape(-1, 1, 1, 1));
        return Conv(x, weight, shift, conv.Stride, conv.Padding, conv.Groups);
    }

    /// <summary>A bias-free convolution.</summary>
    public string Conv(string x, Conv2dLayer conv) => Conv(x, conv.Weight, null, conv.Stride, conv.Padding, conv.Groups);

    /// <summary>An eval-mode BatchNorm on its own (DenseNet's pre-activation norms), as a per-channel scale and shift.</summary>
    public string BatchNorm(string x, BatchNorm2d bn)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (scale, shift) = BatchNormAffine.Of(bn, ScalarType.Float64);
        return ChannelAffine(x, scale, shift);
    }

    /// <summary><c>x * scale[c] + shift[c]</c> over the channels of an NCHW value.</summary>
    public string ChannelAffine(string x, Tensor scale, Tensor shift)
    {
        string s, b;
        using (torch.NewDisposeScope())
        {
            s = Constant("scale", scale.reshape(1, -1, 1, 1));
            b = Constant("shift", shift.reshape(1, -1, 1, 1));
        }
        return Node("Add", [Node("Mul", [x, s]), b]);
    }

    /// <summary>The activation (SiLU as <c>x * Sigmoid(x)</c>, LeakyReLU with the library's slope).</summary>
    public string Activation(string x, ActivationKind kind) => kind switch
    {
        ActivationKind.None => x,
        ActivationKind.ReLU => Node("Relu", [x]),
        ActivationKind.LeakyReLU => Node("LeakyRelu", [x], Float("alpha", (float)Activations.LeakySlope)),
        ActivationKind.SiLU => Node("Mul", [x, Node("Sigmoid", [x])]),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation."),
    };

    /// <summary>Elementwise sum.</summary>
    public string Add(string a, string b) => Node("Add", [a, b]);

    /// <summary>Concatenation along channels.</summary>
    public string ConcatChannels(params string[] values) => values.Length == 1 ? values[0] : Node("Concat", values, Int("axis", 1));

    /// <summary>Channels [start, start + count) of an NCHW value.</summary>
    public string SliceChannels(string x, long start, long count) => Slice(x, axis: 1, start, start + count);

    /// <summary>Elements [start, end) along one axis.</summary>
    public string Slice(string x, long axis, long start, long end) =>
        Node("Slice", [x, Int64Constant("starts", start), Int64Constant("ends", end), Int64Constant("axes", axis)]);

    /// <summary>Elementwise maximum of values of one shape (Maxout over pieces).</summary>
    public string Max(params string[] values) => values.Length == 1 ? values[0] : Node("Max", values);

    /// <summary>Nearest-neighbour upsampling by an integer factor (PyTorch's <c>interpolate(mode: nearest)</c>).</summary>
    public string UpsampleNearest(string x, int factor)
    {
        float f = factor;
        string scales = Constant("scales", [1f, 1f, f, f], 4);
        return Node("Resize", [x, "", scales], String("mode", "nearest"), String("coordinate_transformation_mode", "asymmetric"), String("nearest_mode", "floor"));
    }

    /// <summary>Reshape (0 keeps the input's dimension, -1 is inferred).</summary>
    public string Reshape(string x, params long[] shape) => Node("Reshape", [x, Int64Constant("shape", shape)]);

    /// <summary>Permutes the axes.</summary>
    public string Transpose(string x, params long[] perm) => Node("Transpose", [x], Ints("perm", perm));

    /// <summary>Concatenation along an axis.</summary>
    public string Concat(long axis, params string[] values) => values.Length == 1 ? values[0] : Node("Concat", values, Int("axis", axis));

    /// <summary>A float scalar initializer.</summary>
    public string Scalar(string hint, float value) => Constant(hint, [value]);

    /// <summary>Max pooling with symmetric padding.</summary>
    public string MaxPool(string x, long kernel, long stride, long padding) =>
        Node("MaxPool", [x], Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", padding, padding, padding, padding));

    /// <summary>Average pooling without padding.</summary>
    public string AveragePool(string x, long kernel, long stride) =>
        Node("AveragePool", [x], Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride));

    /// <summary>Global pooling of an NCHW value to [N, C].</summary>
    public string GlobalPool(string x, GlobalPooling pooling)
    {
        string pooled = pooling switch
        {
            GlobalPooling.Average => Node("GlobalAveragePool", [x]),
            GlobalPooling.Max => Node("GlobalMaxPool", [x]),
            _ => throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Unknown pooling."),
        };
        return Node("Flatten", [pooled], Int("axis", 1));
    }

    /// <summary>A linear layer on [N, in] values.</summary>
    public string Gemm(string x, Linear layer) =>
        Node("Gemm", [x, Constant("weight", layer.weight!), Constant("bias", layer.bias!)], Int("transB", 1));

    /// <summary>Softmax over the last axis.</summary>
    public string Softmax(string x) => Node("Softmax", [x], Int("axis", -1));

    /// <summary>Adds a node; returns the name of its (single) output.</summary>
    public string Node(string opType, string[] inputs, params AttributeProto[] attributes) => Node(opType, inputs, null, null, attributes);

    private string Node(string opType, string[] inputs, string? name, string? output, params AttributeProto[] attributes)
    {
        string nodeName = name ?? Unique(opType);
        var node = new NodeProto { OpType = opType, Name = nodeName };
        node.Input.AddRange(inputs);
        string result = output ?? nodeName + "_out";
        node.Output.Add(result);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return result;
    }

    private string Unique(string hint)
    {
        string prefix = scopes.Count == 0 ? hint : scopes.Peek() + "." + hint;
        int n = counters.TryGetValue(prefix, out int seen) ? seen + 1 : 0;
        counters[prefix] = n;
        return n == 0 ? prefix : $"{prefix}_{n}";
    }

    private static ValueInfoProto ValueInfo(string name, long?[] shape, string[] symbols, TensorProto.Types.DataType elementType = TensorProto.Types.DataType.Float)
    {
        var tensorShape = new TensorShapeProto();
        for (int i = 0; i < shape.Length; i++)
        {
            tensorShape.Dim.Add(shape[i] is long value
                ? new TensorShapeProto.Types.Dimension { DimValue = value }
                : new TensorShapeProto.Types.Dimension { DimParam = symbols[i] });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = tensorShape } },
        };
    }

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private sealed class PopScope(Stack<string> scopes) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            scopes.Pop();
        }
    }
}
