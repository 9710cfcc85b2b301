using Microsoft.ML.Data;
using MLNet.CSP.Imaging;
using MLNet.CSP.Models;
using MLNet.CSP.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.MLNet.Featurizer;

/// <summary>
/// A frozen backbone on a device with its preprocessing: images in, pooled feature vectors out. Inference only
/// (eval, no_grad, folded fast path); one dispose scope per batch. Safe to call from several threads at once.
/// </summary>
internal sealed class FeatureExtractor : IDisposable
{
    public FeatureExtractor(Backbone backbone, ImagePreprocessing preprocessing, GlobalPooling pooling, Device device)
    {
        Backbone = backbone;
        Preprocessing = preprocessing;
        Pooling = pooling;
        Device = device;
        Backbone.to(device);
        Backbone.OptimizeForInference();
    }

    public Backbone Backbone { get; }

    public ImagePreprocessing Preprocessing { get; }

    public GlobalPooling Pooling { get; }

    public Device Device { get; }

    public int NumFeatures => Backbone.NumFeatures;

    /// <summary>Features of a batch of preprocessed images [N, 3, S, S] (any device) into <paramref name="destination"/> (N x NumFeatures).</summary>
    public void Extract(Tensor images, Span<float> destination)
    {
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

    /// <summary>Preprocesses and featurizes images.</summary>
    public float[] Extract(IReadOnlyList<MLImage> images)
    {
        using var scope = torch.NewDisposeScope();
        var batch = ImageTensors.PreprocessBatch(images, Preprocessing);
        var result = new float[images.Count * NumFeatures];
        Extract(batch, result);
        return result;
    }

    public void Dispose() => Backbone.Dispose();
}
