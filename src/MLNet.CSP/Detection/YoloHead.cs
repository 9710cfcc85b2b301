namespace MLNet.CSP.Detection;

/// <summary>
/// YOLOv3's output layers, one per scale: a 3x3 convolution to twice the neck's width, then a 1x1 convolution with bias to
/// <c>anchors x (5 + classes)</c> channels laid out per anchor as tx, ty, tw, th, objectness, class logits.
/// </summary>
public sealed class YoloHead : nn.Module<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>>
{
    private readonly ModuleList conv;
    private readonly ModuleList pred;

    /// <summary>Builds the head for neck maps with these channels.</summary>
    /// <param name="inChannels">Channels of each neck map (strides 8, 16, 32).</param>
    /// <param name="anchorsPerScale">Anchors per scale (YOLOv3: 3).</param>
    /// <param name="numClasses">Object classes.</param>
    /// <param name="imageSize">The network's input size, for the objectness prior (about 8 objects per image).</param>
    /// <param name="activation">Activation of the 3x3 convolutions.</param>
    public YoloHead(IReadOnlyList<int> inChannels, int anchorsPerScale, int numClasses, int imageSize, ActivationKind activation = ActivationKind.LeakyReLU)
        : base(nameof(YoloHead))
    {
        ArgumentNullException.ThrowIfNull(inChannels);
        ArgumentOutOfRangeException.ThrowIfLessThan(anchorsPerScale, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        (AnchorsPerScale, NumClasses) = (anchorsPerScale, numClasses);
        conv = new ModuleList();
        pred = new ModuleList();
        for (int s = 0; s < inChannels.Count; s++)
        {
            conv.append(new ConvNormAct(inChannels[s], 2 * inChannels[s], 3, activation: activation));
            var p = new PredictionConv(2 * inChannels[s], anchorsPerScale * (5 + numClasses));
            InitializePriors(p, DetectionNeck.OutputStrides[s], imageSize);
            pred.append(p);
        }
        RegisterComponents();
    }

    /// <summary>Anchors per scale.</summary>
    public int AnchorsPerScale { get; }

    /// <summary>Object classes.</summary>
    public int NumClasses { get; }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> forward(IReadOnlyList<Tensor> maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.Count != conv.Count) throw new ArgumentException($"The head has {conv.Count} scales; got {maps.Count} maps.", nameof(maps));
        var outputs = new List<Tensor>(maps.Count);
        for (int s = 0; s < maps.Count; s++)
        {
            using var hidden = conv[s].call(maps[s]);
            outputs.Add(pred[s].call(hidden));
        }
        return outputs;
    }

    /// <summary>Writes the head into an ONNX graph: the raw maps [N, A x (5 + classes), H/s, W/s] per scale.</summary>
    internal IReadOnlyList<string> ExportOnnx(OnnxGraph graph, IReadOnlyList<string> maps) =>
        [.. maps.Select((map, s) => graph.Module($"pred.{s}", pred[s], graph.Module($"conv.{s}", conv[s], map)))];

    /// <summary>
    /// Objectness bias log(8 / cells) (about 8 objects per image at start, so the many empty cells do not swamp the first
    /// steps) and class bias log(0.6 / (classes - 0.99)), as YOLOv5 initialises its heads.
    /// </summary>

    private void InitializePriors(PredictionConv p, int stride, int imageSize)
    {
        using var noGrad = torch.no_grad();
        double cells = Math.Pow(Math.Max(1.0, imageSize / (double)stride), 2);
        using var bias = p.Bias.view(AnchorsPerScale, 5 + NumClasses);
        bias[.., 4].fill_(Math.Log(8 / cells));
        bias[.., 5..].fill_(Math.Log(0.6 / (NumClasses - 0.99)));
    }
}
