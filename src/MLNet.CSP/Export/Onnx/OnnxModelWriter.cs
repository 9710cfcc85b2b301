using System.Reflection;
using System.Text.Json;
using Google.Protobuf;
using Onnx;

namespace MLNet.CSP.Export.Onnx;

/// <summary>Turns a backbone (and, for trained models, its preprocessing and labels) into an ONNX model on a stream.</summary>
internal static class OnnxModelWriter
{
    /// <summary>Pixel input of a graph with preprocessing inside: planar RGB, 0..255, as ML.NET's <c>ExtractPixels</c> gives.</summary>
    public const string ImageInputName = "image";

    /// <summary>Tensor input of a plain network graph: normalised NCHW.</summary>
    public const string TensorInputName = "input";

    public static OnnxExportInfo Write(Stream stream, Backbone backbone, OnnxNetworkSpec spec)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(backbone);
        var options = spec.Options;
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Height, 1, nameof(spec.Height));
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Width, 1, nameof(spec.Width));
        var output = options.Output ?? (backbone.NumClasses > 0 ? OnnxOutput.Logits : OnnxOutput.Features);
        if (output != OnnxOutput.Features && backbone.NumClasses == 0)
            throw new InvalidOperationException($"{backbone.Architecture} has no classifier: export {OnnxOutput.Features} instead of {output}.");
        if (spec.Preprocessing is not null && options.DynamicSize)
            throw new ArgumentException("A graph with preprocessing takes one image size; set DynamicSize to false.", "options");

        var graph = new OnnxGraph();
        long? batch = options.DynamicBatch ? null : 1;
        long? height = options.DynamicSize ? null : spec.Height;
        long? width = options.DynamicSize ? null : spec.Width;
        string[] symbols = ["N", "channels", "height", "width"];
        string inputName = spec.Preprocessing is null ? TensorInputName : ImageInputName;
        string x = graph.AddInput(inputName, [batch, 3, height, width], symbols);
        if (spec.Preprocessing is { } preprocessing)
        {
            using (graph.Scope("preprocess")) x = Preprocess(graph, x, preprocessing, spec.Height, spec.Width);
        }
        string y;
        using (torch.no_grad()) y = backbone.ExportOnnxGraph(graph, x, options.Pooling, preLogits: output == OnnxOutput.Features);
        if (output == OnnxOutput.Probabilities) y = graph.Softmax(y);
        string outputName = output switch { OnnxOutput.Logits => "logits", OnnxOutput.Probabilities => "probabilities", _ => "features" };
        long length = output == OnnxOutput.Features ? backbone.NumFeatures : backbone.NumClasses;
        graph.AddOutput(y, outputName, [batch, length], ["N", "classes"]);

        var model = CreateModel(graph, options.Opset, $"{backbone.Architecture} exported by MLNet.CSP");
        AddMetadata(model, "mlnet_csp.architecture", backbone.Architecture);
        AddPreprocessingMetadata(model, spec.Preprocessing, spec.Labels);
        model.WriteTo(stream);
        stream.Flush();
        return new OnnxExportInfo(inputName, Shape(batch, 3, height, width), outputName, Shape(batch, length), options.Opset, spec.Preprocessing, spec.Labels);
    }

    /// <summary>
    /// 0..255 planar RGB [N, 3, H, W] to the network's input: the center crop of <see cref="ImagePreprocessing.ImageSize"/>
    /// (offsets rounded as the library's own crop), then <c>(x / 255 - mean) / std</c> per channel as one scale and shift.
    /// </summary>
    private static string Preprocess(OnnxGraph graph, string x, ImagePreprocessing preprocessing, int height, int width)
    {
        int size = preprocessing.ImageSize;
        if (height < size || width < size)
            throw new ArgumentException($"The graph input ({height}x{width}) is smaller than the network's image size {size}.");
        long top = (long)Math.Round((height - size) / 2.0, MidpointRounding.ToEven);
        long left = (long)Math.Round((width - size) / 2.0, MidpointRounding.ToEven);
        if (height != size) x = graph.Slice(x, 2, top, top + size);
        if (width != size) x = graph.Slice(x, 3, left, left + size);
        return Normalize(graph, x, preprocessing);
    }

    /// <summary>0..255 pixels to <c>(x / 255 - mean) / std</c> per channel, as one scale and shift.</summary>
    public static string Normalize(OnnxGraph graph, string x, ImagePreprocessing preprocessing)
    {
        var scale = new float[3];
        var shift = new float[3];
        for (int c = 0; c < 3; c++)
        {
            scale[c] = (float)(1.0 / (255.0 * preprocessing.Std[c]));
            shift[c] = (float)(-preprocessing.Mean[c] / (double)preprocessing.Std[c]);
        }
        using var s = torch.tensor(scale);
        using var b = torch.tensor(shift);
        return graph.ChannelAffine(x, s, b);
    }

    /// <summary>A declared shape as <see cref="OnnxExportInfo"/> reports it: -1 for a symbolic dimension.</summary>
    public static long[] Shape(params long?[] dims) => [.. dims.Select(d => d ?? -1)];

    /// <summary>A model around the graph: IR version of the opset, producer, one default-domain opset import.</summary>
    public static ModelProto CreateModel(OnnxGraph graph, int opset, string description)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion(opset),
            ProducerName = "MLNet.CSP",
            ProducerVersion = typeof(OnnxModelWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            DocString = description,
            Graph = graph.Proto,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    /// <summary>Class labels and preprocessing as metadata (<c>mlnet_csp.*</c>), where there are any.</summary>
    public static void AddPreprocessingMetadata(ModelProto model, ImagePreprocessing? preprocessing, IReadOnlyList<string>? labels)
    {
        if (labels is not null) AddMetadata(model, "mlnet_csp.labels", JsonSerializer.Serialize(labels));
        if (preprocessing is not { } p) return;
        AddMetadata(model, "mlnet_csp.image_size", p.ImageSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AddMetadata(model, "mlnet_csp.resize_size", p.ResizeSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AddMetadata(model, "mlnet_csp.mean", JsonSerializer.Serialize(p.Mean));
        AddMetadata(model, "mlnet_csp.std", JsonSerializer.Serialize(p.Std));
    }

    /// <summary>The ONNX IR version that goes with an opset (ONNX's versioning table).</summary>
    private static long IrVersion(int opset) => opset switch { <= 14 => 7, <= 18 => 8, <= 20 => 9, _ => 10 };

    public static void AddMetadata(ModelProto model, string key, string value) =>
        model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
}
