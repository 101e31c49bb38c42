// placeholder: written by the walker work
#pragma once
