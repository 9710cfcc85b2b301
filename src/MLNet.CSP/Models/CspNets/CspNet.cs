namespace MLNet.CSP.Models.CspNets;

/// <summary>The CSP family network (timm <c>CspNet</c>): <c>stem</c>, <c>stages.N</c>, <c>head.fc</c>.</summary>
public sealed class CspNet : Backbone
{
    private readonly CspStem stem;
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> stages;
    private readonly ClassifierHead head;

    /// <summary>Builds the network described by <paramref name="config"/>.</summary>
    public CspNet(string name, CspNetConfig config, int numClasses) : base(name, config.Pretrained)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Stages.Count == 0) throw new ArgumentException("A CSP network needs at least one stage.", nameof(config));
        stem = new CspStem(3, config.Stem, config.Activation);
        stages = new TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>>();
        int channels = stem.OutChannels;
        foreach (var stage in config.Stages)
        {
            stages.Add(stage.Type switch
            {
                StageType.Csp => new CrossStage(channels, stage, config.Activation),
                StageType.Cs3 => new CrossStage3(channels, stage, config.Activation),
                StageType.Dark => new DarkStage(channels, stage, config.Activation),
                _ => throw new ArgumentOutOfRangeException(nameof(config), stage.Type, "Unknown stage type."),
            });
            channels = stage.OutChannels;
        }
        NumFeatures = channels;
        head = new ClassifierHead(channels, numClasses);
        UseClassifier(head.Slot, "head.fc.");
        RegisterComponents();
        ReferenceInitialization.Timm(this);
    }

    /// <inheritdoc />
    public override int NumFeatures { get; }

    private protected override string ExportFeaturesOnnx(OnnxGraph graph, string input)
    {
        string current = graph.Module("stem", stem, input);
        for (int i = 0; i < stages.Count; i++) current = graph.Module($"stages.{i}", stages[i], current);
        return current;
    }

    /// <inheritdoc />
    private protected override Tensor RunFeatures(Tensor x, FeatureTap? tap)
    {
        var current = stem.Run(x, tap);
        tap?.Invoke("stem", current, TapKind.Stage);
        for (int i = 0; i < stages.Count; i++)
        {
            var next = stages[i].call(current);
            current.Dispose();
            current = next;
            tap?.Invoke($"stages.{i}", current, TapKind.StageAndLevel);
        }
        return current;
    }
}
