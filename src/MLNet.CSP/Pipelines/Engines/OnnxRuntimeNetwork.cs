using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace MLNet.CSP.Pipelines.Engines;

/// <summary>
/// A backbone's own ONNX export (normalised NCHW in, pooled features or class probabilities out, any batch) run by ONNX Runtime
/// on the CPU, in-process. Built from the network's current weights; safe to call from several threads at once.
/// </summary>
internal sealed class OnnxRuntimeNetwork : IDisposable
{
    private readonly InferenceSession session;
    private readonly string inputName;
    private readonly string[] outputNames;
    private readonly int imageSize;

    public OnnxRuntimeNetwork(Backbone backbone, int imageSize, OnnxOutput output, GlobalPooling pooling, int threads)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, nameof(threads));
        this.imageSize = imageSize;
        using var model = new MemoryStream();
        var options = new OnnxExportOptions { DynamicBatch = true, Output = output, Pooling = pooling };
        var info = OnnxModelWriter.Write(model, backbone, new OnnxNetworkSpec(imageSize, imageSize, options, null, null));
        inputName = info.InputName;
        outputNames = [info.OutputName];
        OutputLength = checked((int)info.OutputShape[1]);
        session = OnnxRuntimeSessions.Open(model.ToArray(), threads);
        Threads = threads;
    }

    /// <summary>Values one image gives (features or classes).</summary>
    public int OutputLength { get; }

    /// <summary>ONNX Runtime intra-op threads of the session.</summary>
    public int Threads { get; }

    /// <summary>Runs preprocessed images [N, 3, S, S] (float, CPU) into <paramref name="destination"/> (N x <see cref="OutputLength"/>).</summary>
    public void Run(Tensor images, Span<float> destination)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != imageSize || images.shape[3] != imageSize)
            throw new ArgumentException($"Expected images [N, 3, {imageSize}, {imageSize}], got [{string.Join(", ", images.shape)}].", nameof(images));
        long batch = images.shape[0];
        if (destination.Length != batch * OutputLength)
            throw new ArgumentException($"The destination holds {destination.Length} values; {batch} images give {batch * OutputLength}.", nameof(destination));
        int count = checked((int)images.numel());
        var buffer = ArrayPool<float>.Shared.Rent(count);
        try
        {
            using (var scope = torch.NewDisposeScope()) // the conversions' intermediate tensors, if any
                MemoryMarshal.Cast<byte, float>(images.to_type(ScalarType.Float32).to(torch.CPU).contiguous().bytes).CopyTo(buffer);
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, count), [batch, 3, imageSize, imageSize]);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, [inputName], [input], outputNames);
            outputs[0].GetTensorDataAsSpan<float>().CopyTo(destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    public void Dispose() => session.Dispose();
}
