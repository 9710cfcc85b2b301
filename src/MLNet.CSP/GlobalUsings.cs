// Names every layer of the library uses: TorchSharp's tensor API and the module aliases of its families.
global using TorchSharp;
global using static TorchSharp.torch;
global using BatchNorm2d = TorchSharp.Modules.BatchNorm2d;
global using Linear = TorchSharp.Modules.Linear;
global using ModuleList = TorchSharp.Modules.ModuleList<TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>>;
global using Microsoft.ML;
global using Microsoft.ML.Data;
global using Microsoft.ML.Runtime;
global using MLNet.CSP.Models;
global using MLNet.CSP.Models.Layers;
