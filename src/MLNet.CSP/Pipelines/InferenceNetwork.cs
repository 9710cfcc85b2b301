using MLNet.CSP.Pipelines.Engines;

namespace MLNet.CSP.Pipelines;

/// <summary>
/// A network on a device with its preprocessing: images in, pooled feature vectors or class probabilities out. Inference only
/// (eval, no_grad, folded fast path); one dispose scope per batch. Safe to call from several threads at once. With ONNX Runtime
/// as its engine, the same network's ONNX export computes (built on first use of each output, from the folded weights).
/// </summary>
internal sealed class InferenceNetwork : IDisposable
{
    private readonly Lazy<OnnxRuntimeNetwork>? onnxFeatures;
    private readonly Lazy<OnnxRuntimeNetwork>? onnxProbabilities;

    public InferenceNetwork(Backbone backbone, ImagePreprocessing preprocessing, GlobalPooling pooling, Device device, int? threads = null,
        InferenceEngine engine = InferenceEngine.TorchSharp)
    {
        Threads = threads;
        Backbone = backbone;
        Preprocessing = preprocessing;
        Pooling = pooling;
        Device = device;
        RequestedEngine = engine;
        Engine = InferenceEngines.Resolve(engine, device);
        Backbone.to(device);
        Backbone.OptimizeForInference();
        if (Engine == InferenceEngine.OnnxRuntime)
        {
            int ortThreads = threads ?? torch.get_num_threads();
            onnxFeatures = new(() => new OnnxRuntimeNetwork(Backbone, Preprocessing.ImageSize, OnnxOutput.Features, Pooling, ortThreads));
            onnxProbabilities = new(() => new OnnxRuntimeNetwork(Backbone, Preprocessing.ImageSize, OnnxOutput.Probabilities, Pooling, ortThreads));
        }
    }

    /// <summary>The engine asked for (saved with the model).</summary>
    public InferenceEngine RequestedEngine { get; }

    /// <summary>The engine that computes: <see cref="InferenceEngine.TorchSharp"/> or <see cref="InferenceEngine.OnnxRuntime"/>.</summary>
    public InferenceEngine Engine { get; }

    public Backbone Backbone { get; }

    public ImagePreprocessing Preprocessing { get; }

    public GlobalPooling Pooling { get; }

    public Device Device { get; }

    public int NumFeatures => Backbone.NumFeatures;

    /// <summary>libtorch threads while a batch computes (restored afterwards); null leaves the process's count.</summary>
    public int? Threads { get; }

    /// <summary>Features of a batch of preprocessed images [N, 3, S, S] (any device) into <paramref name="destination"/> (N x NumFeatures).</summary>
    public void Extract(Tensor images, Span<float> destination)
    {
        if (onnxFeatures is not null)
        {
            onnxFeatures.Value.Run(images, destination);
            return;
        }
        using var threads = TorchThreads.Use(Threads);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = images.to(Device);
        var features = Backbone.ForwardFeatures(input);
        var pooled = Backbone.ForwardPooled(features, Pooling).to(torch.CPU).contiguous();
        var values = pooled.data<float>();
        if (values.Count != destination.Length)
            throw new InvalidOperationException($"Expected {destination.Length} feature values, got {values.Count}.");
        values.CopyTo(destination);
    }

    /// <summary>Class probabilities (softmax of the logits) of preprocessed images into <paramref name="destination"/> (N x NumClasses).</summary>
    public void Probabilities(Tensor images, Span<float> destination)
    {
        if (onnxProbabilities is not null)
        {
            onnxProbabilities.Value.Run(images, destination);
            return;
        }
        using var threads = TorchThreads.Use(Threads);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var logits = Backbone.forward(images.to(Device));
        var values = logits.softmax(1).to(torch.CPU).contiguous().data<float>();
        if (values.Count != destination.Length)
            throw new InvalidOperationException($"Expected {destination.Length} probabilities, got {values.Count}.");
        values.CopyTo(destination);
    }

    public void Dispose()
    {
        if (onnxFeatures is { IsValueCreated: true }) onnxFeatures.Value.Dispose();
        if (onnxProbabilities is { IsValueCreated: true }) onnxProbabilities.Value.Dispose();
        Backbone.Dispose();
    }
}
