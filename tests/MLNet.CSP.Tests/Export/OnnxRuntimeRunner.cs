using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace MLNet.CSP.Tests.Export;

/// <summary>Runs an exported model with ONNX Runtime (CPU, two threads): the independent check of every export.</summary>
internal static class OnnxRuntimeRunner
{
    public static InferenceSession Open(byte[] model)
    {
        var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        return new InferenceSession(model, options);
    }

    /// <summary>Runs the model's single output for one float input; returns the output as a tensor.</summary>
    public static Tensor Run(InferenceSession session, string inputName, Tensor x) => RunAll(session, inputName, x).Values.Single();

    /// <summary>Runs a detector graph: its <c>boxes</c> and <c>scores</c> outputs.</summary>
    public static (Tensor Boxes, Tensor Scores) RunDetector(InferenceSession session, string inputName, Tensor x)
    {
        var outputs = RunAll(session, inputName, x);
        return (outputs["boxes"], outputs["scores"]);
    }

    /// <summary>Runs a detector graph exported with NMS: final boxes [K, 4], scores [K] and int64 labels [K] of one image.</summary>
    public static (float[] Boxes, float[] Scores, long[] Labels) RunDetectorWithNms(InferenceSession session, string inputName, Tensor x)
    {
        using var cpu = x.to(ScalarType.Float32, torch.CPU).contiguous();
        var input = new DenseTensor<float>(cpu.data<float>().ToArray(), cpu.shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
        var byName = results.ToDictionary(r => r.Name);
        return (byName["boxes"].AsTensor<float>().ToArray(), byName["scores"].AsTensor<float>().ToArray(), byName["labels"].AsTensor<long>().ToArray());
    }

    /// <summary>Every output of the model for one float input, by name.</summary>
    private static Dictionary<string, Tensor> RunAll(InferenceSession session, string inputName, Tensor x)
    {
        using var cpu = x.to(ScalarType.Float32, torch.CPU).contiguous();
        var input = new DenseTensor<float>(cpu.data<float>().ToArray(), cpu.shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
        return results.ToDictionary(r => r.Name, r =>
        {
            var output = r.AsTensor<float>();
            return torch.tensor(output.ToArray(), output.Dimensions.ToArray().Select(d => (long)d).ToArray());
        });
    }
}
